-- title: One row
-- param: id int required min 1 max 10000
-- timeout: 5s

-- section: item
SELECT id, name, price FROM bench_items WHERE id = :id;
