-- title: A read a standby cancels
-- description: Holds a lock on asyncpage_test_conflict for 1.5 s; a TRUNCATE on the primary then conflicts with recovery on the standby (replicas_test).
-- timeout: 15s

-- section: rows
SELECT (SELECT count(*) FROM asyncpage_test_conflict) AS n, pg_sleep(1.5) IS NULL AS slept;
