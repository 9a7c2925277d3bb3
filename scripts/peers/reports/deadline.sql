-- title: Deadline
-- description: A 1 s budget for a 10 s query (S5).
-- timeout: 1s

-- section: slow
SELECT 1 AS never FROM pg_sleep(10);
