-- title: Shared echo, short deadline
-- description: The same statement as shared_echo (so the same timings) under a 1 s deadline.
-- param: n int required
-- param: wait numeric default 0 min 0 max 10
-- param: rows int default 1 min 1 max 100
-- param: pad int default 0 min 0 max 10000
-- timeout: 1s

-- section: echo
SELECT :n AS n, md5(:n::text) AS h, 100 / (:n - 13) AS q, repeat('x', :pad) AS pad,
       (pg_sleep(:wait / :rows) IS NULL) AS slept
FROM generate_series(1, :rows) g;
