-- title: Trivial
-- description: One row, no wait: the page that must stay fast while others are slow.

-- section: one
SELECT 1 AS one;
