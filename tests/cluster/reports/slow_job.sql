-- title: A slow job
-- description: n rows, 0.6 s each: a job that is running when its host is killed.
-- param: n int default 5 min 1 max 50
-- job: true
-- timeout: 60s

-- section: rows
SELECT g AS n, pg_sleep(0.6) IS NULL AS slept FROM generate_series(1, :n) g;
