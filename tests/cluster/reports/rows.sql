-- title: Rows
-- description: Exactly n rows, through every layer of the cluster test.
-- param: n int default 10 min 1 max 100000

-- section: rows
SELECT g AS n, 'row ' || g AS label FROM generate_series(1, :n) g;
