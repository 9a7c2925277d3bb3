-- title: One second during shutdown
-- description: Pending when SIGTERM arrives; must still answer 200.
-- timeout: 5s

-- section: slow
SELECT 1 AS drain_slow FROM pg_sleep(1);
