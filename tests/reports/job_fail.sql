-- title: Failing job
-- description: A background job whose second section fails after a progress notice.
-- job: true

-- section: fine
SELECT 1 AS one;

-- section: broken
SELECT asyncpage.progress(50, 'about to fail'), 1 / (SELECT 0) AS boom;
