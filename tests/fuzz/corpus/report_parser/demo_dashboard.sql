-- title: Sales dashboard
-- description: Revenue by region, orders per month, top products, top customers and order status: five queries over 1M orders, run in parallel.
-- timeout: 10s
-- parallel: true

-- section: regions
SELECT region,
       count(*) AS orders,
       sum(amount) AS revenue,
       round(avg(amount), 2) AS average_order
FROM orders
GROUP BY region
ORDER BY revenue DESC;

-- section: months
SELECT to_char(m.month, 'YYYY-MM') AS month, m.orders, m.revenue
FROM (
    SELECT date_trunc('month', created) AS month, count(*) AS orders, sum(amount) AS revenue
    FROM orders
    GROUP BY 1
) AS m
ORDER BY m.month;

-- section: top_products
SELECT p.id, p.name, p.category, s.units, s.revenue
FROM (
    SELECT product_id, sum(quantity) AS units, sum(amount) AS revenue
    FROM orders
    GROUP BY product_id
    ORDER BY revenue DESC
    LIMIT 10
) AS s
JOIN products AS p ON p.id = s.product_id
ORDER BY s.revenue DESC;

-- section: top_customers
SELECT c.id, c.name, c.region, s.orders, s.revenue
FROM (
    SELECT customer_id, count(*) AS orders, sum(amount) AS revenue
    FROM orders
    GROUP BY customer_id
    ORDER BY revenue DESC
    LIMIT 10
) AS s
JOIN customers AS c ON c.id = s.customer_id
ORDER BY s.revenue DESC;

-- section: statuses
SELECT status, count(*) AS orders, sum(amount) AS amount
FROM orders
GROUP BY status
ORDER BY orders DESC;
