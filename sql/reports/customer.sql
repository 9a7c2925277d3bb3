-- title: Customer
-- description: One customer's details and totals, and their 50 most recent orders.
-- param: id bigint required min 1
-- timeout: 3s
-- parallel: true

-- section: customer
-- format: total_spent money, id raw
SELECT c.id, c.name, c.email, c.region, c.created AS customer_since,
       count(o.id) AS orders,
       coalesce(sum(o.amount), 0) AS total_spent,
       max(o.created) AS last_order
FROM customers AS c
LEFT JOIN orders AS o ON o.customer_id = c.id
WHERE c.id = CAST(:id AS bigint)
GROUP BY c.id;

-- section: recent_orders
-- format: amount money, id raw
SELECT o.id, o.created, p.name AS product, o.quantity, o.amount, o.status
FROM orders AS o
JOIN products AS p ON p.id = o.product_id
WHERE o.customer_id = CAST(:id AS bigint)
ORDER BY o.created DESC
LIMIT 50;
