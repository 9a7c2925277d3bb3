-- title: Twenty queries
-- description: Twenty one-row queries, as twenty sections in file order on one connection, sent to PostgreSQL together (pipeline mode).
-- param: id1 int required min 1 max 10000
-- param: id2 int required min 1 max 10000
-- param: id3 int required min 1 max 10000
-- param: id4 int required min 1 max 10000
-- param: id5 int required min 1 max 10000
-- param: id6 int required min 1 max 10000
-- param: id7 int required min 1 max 10000
-- param: id8 int required min 1 max 10000
-- param: id9 int required min 1 max 10000
-- param: id10 int required min 1 max 10000
-- param: id11 int required min 1 max 10000
-- param: id12 int required min 1 max 10000
-- param: id13 int required min 1 max 10000
-- param: id14 int required min 1 max 10000
-- param: id15 int required min 1 max 10000
-- param: id16 int required min 1 max 10000
-- param: id17 int required min 1 max 10000
-- param: id18 int required min 1 max 10000
-- param: id19 int required min 1 max 10000
-- param: id20 int required min 1 max 10000
-- timeout: 5s
-- parallel: false

-- section: q1
SELECT id, name, price FROM bench_items WHERE id = :id1;

-- section: q2
SELECT id, name, price FROM bench_items WHERE id = :id2;

-- section: q3
SELECT id, name, price FROM bench_items WHERE id = :id3;

-- section: q4
SELECT id, name, price FROM bench_items WHERE id = :id4;

-- section: q5
SELECT id, name, price FROM bench_items WHERE id = :id5;

-- section: q6
SELECT id, name, price FROM bench_items WHERE id = :id6;

-- section: q7
SELECT id, name, price FROM bench_items WHERE id = :id7;

-- section: q8
SELECT id, name, price FROM bench_items WHERE id = :id8;

-- section: q9
SELECT id, name, price FROM bench_items WHERE id = :id9;

-- section: q10
SELECT id, name, price FROM bench_items WHERE id = :id10;

-- section: q11
SELECT id, name, price FROM bench_items WHERE id = :id11;

-- section: q12
SELECT id, name, price FROM bench_items WHERE id = :id12;

-- section: q13
SELECT id, name, price FROM bench_items WHERE id = :id13;

-- section: q14
SELECT id, name, price FROM bench_items WHERE id = :id14;

-- section: q15
SELECT id, name, price FROM bench_items WHERE id = :id15;

-- section: q16
SELECT id, name, price FROM bench_items WHERE id = :id16;

-- section: q17
SELECT id, name, price FROM bench_items WHERE id = :id17;

-- section: q18
SELECT id, name, price FROM bench_items WHERE id = :id18;

-- section: q19
SELECT id, name, price FROM bench_items WHERE id = :id19;

-- section: q20
SELECT id, name, price FROM bench_items WHERE id = :id20;
