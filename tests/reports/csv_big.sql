-- title: A million rows
-- description: Streamed as CSV; the worker's memory must stay flat.
-- timeout: 120s

-- section: rows
SELECT g, 'row ' || g AS label FROM generate_series(1, 1000000) g;
