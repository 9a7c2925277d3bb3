-- title: Sales dashboard
-- description: Revenue by region, orders and revenue per month, top products, top customers and order status: five queries over 1M orders, run in parallel, drawn as charts above their tables.
-- timeout: 10s
-- parallel: true

-- section: regions
-- chart: bar x=region y=revenue
-- format: revenue money, average_order money
SELECT region,
       count(*) AS orders,
       sum(amount) AS revenue,
       round(avg(amount), 2) AS average_order
FROM orders
GROUP BY region
ORDER BY revenue DESC;

-- section: months
-- chart: line x=month y=revenue
-- chart: line x=month y=orders
-- format: revenue money
-- link: month = /reports/orders?month={month}&since={month}
SELECT CAST(m.month AS date) AS month, m.orders, m.revenue
FROM (
    SELECT date_trunc('month', created) AS month, count(*) AS orders, sum(amount) AS revenue
    FROM orders
    GROUP BY 1
) AS m
ORDER BY m.month;

-- section: top_products
-- format: revenue money, id raw
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
-- format: revenue money, id raw
-- link: name = /reports/customer?id={id}
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
-- chart: pie x=status y=orders
-- format: amount money
SELECT status, count(*) AS orders, sum(amount) AS amount
FROM orders
GROUP BY status
ORDER BY orders DESC;
