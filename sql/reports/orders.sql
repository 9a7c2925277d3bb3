-- title: Orders
-- description: Orders of one region, filtered by date (or the month of a date), amount and status: a summary and the newest matching orders.
-- param: region enum(north|south|east|west|central) default north
-- param: since date default 2025-01-01
-- param: until date
-- param: min_amount numeric min 0
-- param: status enum(pending|paid|shipped|delivered|cancelled|refunded)
-- param: month date
-- param: lim int default 100 min 1 max 10000
-- timeout: 5s
-- parallel: true

-- section: summary
-- format: revenue money, average_amount money
-- Optional params that are not given are NULL and do not filter.
SELECT count(*) AS orders,
       coalesce(sum(amount), 0) AS revenue,
       round(avg(amount), 2) AS average_amount,
       min(created) AS first_order,
       max(created) AS last_order
FROM orders
WHERE region = CAST(:region AS text)
  AND created >= CAST(:since AS date)
  AND (CAST(:until AS date) IS NULL OR created < CAST(:until AS date) + 1)
  AND (CAST(:min_amount AS numeric) IS NULL OR amount >= CAST(:min_amount AS numeric))
  AND (CAST(:status AS text) IS NULL OR status = CAST(:status AS text))
  AND (CAST(:month AS date) IS NULL
       OR (created >= date_trunc('month', CAST(:month AS date))
           AND created < date_trunc('month', CAST(:month AS date)) + interval '1 month'));

-- section: orders
-- format: amount money, id raw, customer_id raw
-- link: customer = /reports/customer?id={customer_id}
SELECT o.id, o.created, c.name AS customer, p.name AS product, o.quantity, o.amount, o.status,
       o.customer_id
FROM orders AS o
JOIN customers AS c ON c.id = o.customer_id
JOIN products AS p ON p.id = o.product_id
WHERE o.region = CAST(:region AS text)
  AND o.created >= CAST(:since AS date)
  AND (CAST(:until AS date) IS NULL OR o.created < CAST(:until AS date) + 1)
  AND (CAST(:min_amount AS numeric) IS NULL OR o.amount >= CAST(:min_amount AS numeric))
  AND (CAST(:status AS text) IS NULL OR o.status = CAST(:status AS text))
  AND (CAST(:month AS date) IS NULL
       OR (o.created >= date_trunc('month', CAST(:month AS date))
           AND o.created < date_trunc('month', CAST(:month AS date)) + interval '1 month'))
ORDER BY o.created DESC
LIMIT CAST(:lim AS int);
