-- title: Trivial
-- timeout: 5s

-- section: one
SELECT 1 AS one;
