-- title: Orders export (CSV)
-- description: Every order (about 1M rows) with customer and product names, streamed as CSV: use the CSV link, or ?format=csv&section=orders. Give lim to cap the rows (the HTML page renders every row it gets).
-- param: lim bigint min 1
-- timeout: 60s
-- parallel: true

-- section: orders
-- No ORDER BY, on purpose. Rows stream out as the scan finds them, where a
-- sort would hold back the first row until all rows are sorted.
SELECT o.id, o.created, o.region, c.name AS customer, p.name AS product, p.category,
       o.quantity, o.amount, o.status
FROM orders AS o
JOIN customers AS c ON c.id = o.customer_id
JOIN products AS p ON p.id = o.product_id
LIMIT CAST(:lim AS bigint);
