-- title: Regions (cached)
-- description: Revenue and orders by region over 1M orders, kept 60 s by nginx's cache: repeated visits within a minute reach PostgreSQL once.
-- param: since date default 2025-01-01
-- cache: 60s
-- timeout: 10s

-- section: regions
SELECT region,
       count(*) AS orders,
       sum(amount) AS revenue,
       min(created)::date AS first_order,
       max(created) AS last_order
FROM orders
WHERE created >= CAST(:since AS date)
GROUP BY region
ORDER BY revenue DESC;
