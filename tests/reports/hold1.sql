-- title: One second, hammered
-- description: The slow report of the fairness test: 200 of these at once.
-- timeout: 4s

-- section: slow
SELECT 1 AS fairness_hold FROM pg_sleep(1);
