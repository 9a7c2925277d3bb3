-- Data for scripts/bench: the same tables for asyncpage, PHP-FPM, Node.js and pgbench.
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_items, fortune;
CREATE TABLE bench_items (id int PRIMARY KEY, name text NOT NULL, price numeric(10, 2) NOT NULL);
INSERT INTO bench_items
SELECT i, 'item ' || i, round((i % 1000) / 10.0 + 1, 2) FROM generate_series(1, 10000) AS i;
-- The TechEmpower "Fortunes" rows (one holds markup that must come out escaped).
CREATE TABLE fortune (id int PRIMARY KEY, message text NOT NULL);
INSERT INTO fortune VALUES
 (1, 'fortune: No such file or directory'),
 (2, 'A computer scientist is someone who fixes things that aren''t broken.'),
 (3, 'After enough decimal places, nobody gives a damn.'),
 (4, 'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1'),
 (5, 'A computer program does what you tell it to do, not what you want it to do.'),
 (6, 'Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen'),
 (7, 'Any program that runs right is obsolete.'),
 (8, 'A list is only as strong as its weakest link. — Donald Knuth'),
 (9, 'Feature: A bug with seniority.'),
 (10, 'Computers make very fast, very accurate mistakes.'),
 (11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
 (12, 'フレームワークのベンチマーク');
ANALYZE bench_items;
ANALYZE fortune;
