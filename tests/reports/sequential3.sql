-- title: Three sleeps in sequence
-- description: Three sections of 0.5 s each, one after the other: about 1.5 s in total.
-- timeout: 5s
-- parallel: false

-- section: a
SELECT 1 AS sequential_a FROM pg_sleep(0.5);

-- section: b
SELECT 2 AS sequential_b FROM pg_sleep(0.5);

-- section: c
SELECT 3 AS sequential_c FROM pg_sleep(0.5);
