-- title: Deadline with one fast section
-- description: A 1 s budget; the slow section is cancelled, the fast one is shown.
-- timeout: 1s

-- section: fast
SELECT 1 AS fast;

-- section: slow
SELECT 1 AS deadline_partial_slow FROM pg_sleep(10);
