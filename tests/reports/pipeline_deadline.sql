-- title: A deadline in a pipeline
-- description: Cancelled at 1 s in its first section: the sections queued behind it never start.
-- param: tag text required
-- timeout: 1s
-- parallel: false

-- section: slow
SELECT 1 AS pipeline_deadline_slow FROM pg_sleep(2);

-- section: mark
INSERT INTO asyncpage_test_pipeline_log (tag) VALUES (:tag) RETURNING tag;

-- section: long
SELECT 1 AS pipeline_deadline_long FROM pg_sleep(10);
