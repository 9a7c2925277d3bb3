-- title: Monthly rollup (background job)
-- description: Rolls up the orders of the last 20 months (the current one so far) one month at a time: orders, revenue, buyers, cancellations and the change from the month before. Takes about 20 s (step: seconds per month), so it runs as a background job: the next page shows its live progress, can cancel it, and shows the result when it is done.
-- param: step numeric default 1 min 0 max 5
-- param: region enum(north|south|east|west|central)
-- job: true

-- section: months
-- chart: line x=month y=revenue
-- chart: bar x=month y=change_pct
-- format: revenue money, average_order money
-- link: month = /reports/orders?month={month}-01&since={month}-01
-- demo_monthly_rollup (sql/demo.sql) pauses `step` seconds after each month and
-- reports its progress with asyncpage.progress.
SELECT * FROM demo_monthly_rollup(CAST(:step AS numeric), CAST(:region AS text));
