-- title: Five seconds
-- description: For the client-abort test: the client leaves long before this ends.
-- timeout: 10s

-- section: slow
SELECT 1 AS abort_slow FROM pg_sleep(5);
