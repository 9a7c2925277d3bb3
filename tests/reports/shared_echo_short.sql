-- title: Shared echo, short deadline
-- description: The same statement as shared_echo (so the same timings) under a 1 s deadline.
-- param: n int required
-- param: wait numeric default 0 min 0 max 10
-- timeout: 1s

-- section: echo
SELECT :n AS n, md5(:n::text) AS h, 100 / (:n - 13) AS q,
       (SELECT 1 FROM pg_sleep(:wait)) AS slept;
