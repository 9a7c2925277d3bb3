-- title: Which server answers
-- description: Whether the page ran on a standby; replicas_test spreads these over standbys.
-- param: ms int default 0 min 0 max 5000
-- timeout: 10s

-- section: server
SELECT pg_is_in_recovery() AS on_standby, inet_server_port() AS port,
       current_setting('port') AS socket_port
FROM pg_sleep(:ms / 1000.0);
