-- title: Typed parameters
-- description: Every request that passes validation leaves a row in asyncpage_test_param_log.
-- param: qty int required min 1 max 100
-- param: since date default 2024-01-01 min 2000-01-01 max 2099-12-31
-- param: mode enum(fast|slow) default fast
-- param: label text required maxlen 40

-- section: logged
INSERT INTO asyncpage_test_param_log (qty, since, mode, label)
VALUES (:qty, :since, :mode, :label)
RETURNING qty, since, mode, label;
