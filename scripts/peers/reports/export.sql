-- title: Export
-- description: 1,000,000 rows as streamed CSV (S6).
-- timeout: 120s

-- section: rows
SELECT i AS id, 'row ' || i AS name, i * 1.5 AS amount FROM generate_series(1, 1000000) AS i;
