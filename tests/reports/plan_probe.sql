-- title: Prepared statements
-- description: Each section runs as a named prepared statement, and the second one says so; the test changes the first one's table under it.

-- section: probe
SELECT * FROM asyncpage_test_plan_probe ORDER BY a;

-- section: prepared
SELECT count(*) AS mine FROM pg_prepared_statements
WHERE name LIKE 'asyncpage\_%' AND statement LIKE '%count(*) AS mine FROM pg_prepared_statements%';
