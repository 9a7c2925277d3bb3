-- title: CSV quoting
-- description: NULL against empty, commas, quotes, newlines, unicode.

-- section: q
SELECT * FROM (VALUES
    (1, 'plain', NULL::text),
    (2, '', 'a,b'),
    (3, 'say "hi"', E'line1\nline2'),
    (4, E'\u00fcn\u00ef \u2713', ' lead'),
    (5, NULL, E'cr\r\nlf')
) AS t(id, label, note)
ORDER BY id;
