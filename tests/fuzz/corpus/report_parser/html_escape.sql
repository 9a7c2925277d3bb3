-- title: Escaping <b>bold</b> & more
-- description: Echoes a text param; markup in titles, values and cells must be escaped.
-- param: label text default plain

-- section: echo
SELECT CAST(:label AS text) AS echoed, '<i>cell</i> & co' AS markup;
