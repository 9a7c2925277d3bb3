-- title: Three sleeps in parallel
-- description: Three sections of 0.5 s each, run at once: about 0.5 s in total.
-- timeout: 5s
-- parallel: true

-- section: a
SELECT 1 AS parallel_a FROM pg_sleep(0.5);

-- section: b
SELECT 2 AS parallel_b FROM pg_sleep(0.5);

-- section: c
SELECT 3 AS parallel_c FROM pg_sleep(0.5);
