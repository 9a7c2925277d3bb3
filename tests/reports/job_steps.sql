-- title: Job in steps
-- description: A background job that reports progress after each step.
-- param: steps int default 3 min 1 max 1000
-- param: step_ms int default 200 min 0 max 60000
-- param: label text default steps maxlen 100
-- job: true
-- timeout: 5s

-- section: steps
SELECT g.i AS step, g.i * g.i AS square, :label AS label
FROM generate_series(1, :steps) AS g(i),
     LATERAL (SELECT asyncpage.progress(g.i * 100 / :steps, 'step ' || g.i || ' of ' || :steps),
                     pg_sleep(:step_ms / 1000.0)) AS x;

-- section: summary
SELECT count(*) AS n, now()::date AS day FROM generate_series(1, :steps);
