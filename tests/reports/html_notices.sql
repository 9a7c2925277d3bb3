-- title: Notices
-- description: One section ok, one past the 1 s deadline, one failing: a partial page.
-- timeout: 1s

-- section: good
SELECT 'fine' AS v;

-- section: late
SELECT 1 AS html_late FROM pg_sleep(5);

-- section: broken
SELECT 1/0 AS broken;
