-- title: Fortunes
-- description: TechEmpower-style: 12 rows plus one added at request time, sorted, escaped HTML.
-- timeout: 5s

-- section: fortunes
SELECT id, message FROM fortune
UNION ALL SELECT 0, 'Additional fortune added at request time.'
ORDER BY message;
