-- title: Prepared statements in a pipeline
-- description: As plan_probe, with the changing table read twice by sections sent together.
-- parallel: false

-- section: probe
SELECT * FROM asyncpage_test_plan_probe ORDER BY a;

-- section: other
SELECT 2 AS other;

-- section: probe_again
SELECT * FROM asyncpage_test_plan_probe ORDER BY a;
