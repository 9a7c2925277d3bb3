-- title: JSON types
-- description: One value of every kind; sections in file order, the first one finishes last.

-- section: zeta
SELECT 42::int AS i,
       9007199254740993::bigint AS big,
       12345678901234567890.123456789::numeric AS num,
       1.5::float8 AS f,
       true AS yes,
       false AS no,
       NULL::int AS nothing,
       DATE '2024-02-29' AS day,
       TIMESTAMP '2024-03-01 12:34:56' AS local_ts,
       TIMESTAMPTZ '2024-03-01 12:34:56.789+00' AS ts,
       E'say "hi" \\ back\nslash \u00fcn\u00ef \u2713' AS txt
FROM pg_sleep(0.2);

-- section: alpha
SELECT 1 AS x WHERE false;

-- section: middle
SELECT g AS n FROM generate_series(1, 3) g ORDER BY g;
