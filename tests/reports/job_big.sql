-- title: Job with a big result
-- description: n rows of about 50 bytes each; the integration tests' streamed-result cases use it.
-- param: n int default 1000 min 0 max 5000000
-- job: true

-- section: rows
SELECT g AS n, 'row ' || lpad(g::text, 10, '0') || repeat('.', 30) AS pad
FROM generate_series(1, :n) AS g;

-- section: tail
SELECT :n AS total;
