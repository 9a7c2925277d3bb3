-- title: Pipelined sections
-- description: The second section is sent with the first: PostgreSQL runs it without waiting for the worker.
-- param: tag text required
-- timeout: 5s
-- parallel: false

-- section: slow
SELECT 1 AS pipeline_probe_slow FROM pg_sleep(0.5);

-- section: mark
INSERT INTO asyncpage_test_pipeline_log (tag) VALUES (:tag) RETURNING tag;
