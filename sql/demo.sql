-- Demo database for asyncpage: customers, products and ~1M orders over the last
-- two years, generated with generate_series. Deterministic apart from the dates
-- (relative to the day it is loaded): random() is seeded with setseed().
-- Idempotent: drops and recreates its tables. Loads in seconds:
--   psql -v ON_ERROR_STOP=1 -d asyncpage_demo -f sql/demo.sql

\set ON_ERROR_STOP on
SET client_min_messages = warning;

BEGIN;

DROP TABLE IF EXISTS orders;
DROP TABLE IF EXISTS products;
DROP TABLE IF EXISTS customers;

CREATE TABLE customers (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL,
    region text NOT NULL CHECK (region IN ('north', 'south', 'east', 'west', 'central')),
    created timestamptz NOT NULL
);

CREATE TABLE products (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    category text NOT NULL,
    price numeric(10, 2) NOT NULL
);

-- Keys and indexes of orders are added after the load: much faster than
-- maintaining them row by row.
CREATE TABLE orders (
    id bigint NOT NULL,
    customer_id bigint NOT NULL,
    product_id bigint NOT NULL,
    region text NOT NULL,
    amount numeric(12, 2) NOT NULL,
    quantity int NOT NULL,
    created timestamptz NOT NULL,
    status text NOT NULL
);

SELECT setseed(0.42) AS seeded \gset

-- 10,000 customers; the region follows from the id so that orders can copy it
-- without a join.
INSERT INTO customers (id, name, email, region, created)
SELECT i,
       (ARRAY['Ada', 'Alan', 'Barbara', 'Claude', 'Donald', 'Edsger', 'Frances', 'Grace',
              'John', 'Ken', 'Leslie', 'Margaret', 'Niklaus', 'Radia', 'Tony', 'Vint'])[1 + i % 16]
           || ' '
           || (ARRAY['Lovelace', 'Turing', 'Liskov', 'Shannon', 'Knuth', 'Dijkstra', 'Allen',
                     'Hopper', 'Backus', 'Thompson', 'Lamport', 'Hamilton', 'Wirth', 'Perlman',
                     'Hoare', 'Cerf', 'Ritchie'])[1 + (i / 16) % 17]
           || ' #' || i,
       'customer' || i || '@example.com',
       (ARRAY['north', 'south', 'east', 'west', 'central'])[1 + i % 5],
       date_trunc('day', now()) - interval '3 years' + random() * interval '900 days'
FROM generate_series(1, 10000) AS i;

-- 1,000 products in 10 categories, priced 1.00 to ~500.
INSERT INTO products (id, name, category, price)
SELECT i,
       (ARRAY['Classic', 'Deluxe', 'Compact', 'Pro', 'Eco', 'Smart', 'Mini', 'Max'])[1 + i % 8]
           || ' '
           || (ARRAY['Widget', 'Gadget', 'Lamp', 'Chair', 'Kettle', 'Backpack', 'Speaker',
                     'Notebook', 'Bottle', 'Drill'])[1 + (i / 8) % 10]
           || ' ' || i,
       (ARRAY['tools', 'garden', 'kitchen', 'office', 'audio', 'outdoor', 'toys', 'books',
              'sports', 'home'])[1 + i % 10],
       round((1 + random() * random() * 499)::numeric, 2)
FROM generate_series(1, 1000) AS i;

-- 1,000,000 orders over the last 730 days. Popular products and customers are
-- skewed (random()^2) so that the "top" lists are not flat.
INSERT INTO orders (id, customer_id, product_id, region, amount, quantity, created, status)
SELECT o.i,
       o.customer_id,
       o.product_id,
       (ARRAY['north', 'south', 'east', 'west', 'central'])[1 + o.customer_id % 5],
       round(p.price * o.quantity * o.discount, 2),
       o.quantity,
       o.created,
       CASE
           WHEN o.created > now() - interval '3 days' AND o.r < 0.6 THEN 'pending'
           WHEN o.r < 0.04 THEN 'cancelled'
           WHEN o.r < 0.06 THEN 'refunded'
           WHEN o.created > now() - interval '10 days' THEN 'paid'
           WHEN o.created > now() - interval '20 days' AND o.r < 0.5 THEN 'shipped'
           ELSE 'delivered'
       END
FROM (
    SELECT i,
           1 + floor(power(random(), 1.5) * 10000)::bigint AS customer_id,
           1 + floor(power(random(), 2) * 1000)::bigint AS product_id,
           1 + floor(power(random(), 3) * 10)::int AS quantity,
           CASE WHEN random() < 0.2 THEN 0.9 ELSE 1.0 END AS discount,
           now() - random() * interval '730 days' AS created,
           random() AS r
    FROM generate_series(1, 1000000) AS i
) AS o
JOIN products AS p ON p.id = o.product_id;

ALTER TABLE orders ADD PRIMARY KEY (id);
ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers;
ALTER TABLE orders ADD FOREIGN KEY (product_id) REFERENCES products;
CREATE INDEX orders_created_idx ON orders (created);
CREATE INDEX orders_customer_created_idx ON orders (customer_id, created);
CREATE INDEX orders_region_created_idx ON orders (region, created);
CREATE INDEX customers_region_idx ON customers (region);

COMMIT;

ANALYZE customers;
ANALYZE products;
ANALYZE orders;
