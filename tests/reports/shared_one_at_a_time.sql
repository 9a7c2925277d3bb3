-- title: One at a time, shared or not
-- description: concurrency 1: however many pages ask, one of its statements runs at a time; each counts the ones running (its own included).
-- param: n int required
-- concurrency: 1
-- timeout: 8s

-- section: probe
SELECT :n AS n,
       (SELECT count(*) FROM pg_stat_activity
        WHERE state = 'active' AND query LIKE '%one_at_a_time_probe%'
          AND application_name = current_setting('application_name')) AS running,
       (pg_sleep(0.02) IS NULL) AS one_at_a_time_probe;
