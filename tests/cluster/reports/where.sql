-- title: Which server answers

-- section: server
SELECT pg_is_in_recovery() AS on_standby;
