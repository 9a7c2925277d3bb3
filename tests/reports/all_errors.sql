-- title: Every section fails
-- description: Both sections raise errors at run time: 500 with status error.

-- section: boom
SELECT 1/0 AS boom;

-- section: bad_cast
SELECT CAST(repeat('x', 2) AS int) AS bad_cast;
