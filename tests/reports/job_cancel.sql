-- title: Job to cancel
-- description: Sleeps in steps with progress; only the integration tests' cancel and kill cases use it.
-- param: steps int default 100 min 1 max 1000
-- job: true
-- timeout: 2s

-- section: sleeper
SELECT /* job_cancel_probe */ g.i
FROM generate_series(1, :steps) AS g(i),
     LATERAL (SELECT asyncpage.progress(g.i * 100 / :steps, 'second ' || g.i), pg_sleep(1)) AS x;
