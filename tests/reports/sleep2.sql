-- title: Two seconds
-- description: Holds a pending page for 2 s (max_pending test).
-- timeout: 5s

-- section: slow
SELECT 1 AS sleep2 FROM pg_sleep(2);
