-- title: Shared sections
-- description: Three fast sections in parallel, each answering from the page's own n: a page whose sections share connections with other pages' must get its own three answers.
-- param: n int required
-- timeout: 8s
-- parallel: true

-- section: a
SELECT :n AS a;

-- section: b
SELECT :n * 2 AS b;

-- section: c
SELECT md5(:n::text) AS c;
