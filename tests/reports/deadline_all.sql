-- title: Deadline with nothing finished
-- description: The only section sleeps past the 1 s budget: 504.
-- timeout: 1s

-- section: slow
SELECT 1 AS deadline_all_slow FROM pg_sleep(10);
