-- title: Pipelined sections, each its own transaction
-- description: A failing section rolls back only itself; a statement whose table is gone fails alike wherever it appears.
-- param: tag text required
-- timeout: 5s
-- parallel: false

-- section: first
INSERT INTO asyncpage_test_pipeline_log (tag) VALUES (:tag || '-first') RETURNING tag;

-- section: failing
INSERT INTO asyncpage_test_pipeline_log (tag) VALUES (:tag || '-failing') RETURNING 1 / 0 AS never;

-- section: seen
SELECT count(*) AS seen FROM asyncpage_test_pipeline_log WHERE tag LIKE :tag || '-%';

-- section: gone1
SELECT * FROM asyncpage_test_pipeline_gone;

-- section: between
SELECT 2 AS between_them;

-- section: gone2
SELECT * FROM asyncpage_test_pipeline_gone;

-- section: last
SELECT 3 AS last_one;
