-- title: One failing section
-- description: Division by zero in one section; the other one still renders.

-- section: boom
SELECT 1/0 AS boom;

-- section: fine
SELECT 1 AS fine;
