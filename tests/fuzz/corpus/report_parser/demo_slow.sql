-- title: Partial page demo
-- description: A page with a 2 s budget: one quick section, and one that would need 10 s. At the deadline the slow query is cancelled in PostgreSQL and the page shows what finished, with a timeout notice for the rest.
-- timeout: 2s
-- parallel: true

-- section: quick
SELECT region, count(*) AS customers
FROM customers
GROUP BY region
ORDER BY region;

-- section: slow
SELECT 'finished after 10 s' AS result
FROM pg_sleep(10);
