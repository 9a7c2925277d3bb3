-- title: Edge cases for the parser
-- description: casts, literals, comments and dollar quotes next to placeholders
-- param: since date default 2024-01-01 min 2000-01-01
-- param: kind enum(a|b) default a
-- param: lim int default 10 min 1 max 100
-- timeout: 1.5s
-- parallel: false
-- concurrency: 2

-- section: first
SELECT :since::date AS since, 'a :not_a_param' AS s, E'\' :nor_this' AS e,
       "quoted :ident" , $tag$ :inside $tag$ AS d /* :comment /* nested */ */
FROM generate_series(1, :lim) g -- :trailing
WHERE CAST(:kind AS text) = 'a' AND (ARRAY[1,2,3])[1:2] IS NOT NULL;

-- section: second
SELECT 1;
