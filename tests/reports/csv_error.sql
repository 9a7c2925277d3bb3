-- title: Error after rows
-- description: Division by zero at row 500000, after 499999 rows were streamed.
-- timeout: 120s

-- section: rows
SELECT g, 1/(g - 500000) AS inv FROM generate_series(1, 1000000) g;
