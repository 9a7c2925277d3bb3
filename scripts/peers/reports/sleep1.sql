-- title: One second
-- description: A page whose query takes 1 s (S1, S2, S3's load).
-- timeout: 5s

-- section: slept
SELECT 1 AS slept FROM pg_sleep(1);
