-- Functions of the demo reports, loaded on every `scripts/demo` start (idempotent),
-- so an existing demo database gets them too. Requires sql/demo.sql's tables.
-- A slow report for background jobs (sql/reports/rollup.sql): rolls up the orders
-- of the last 20 calendar months one month at a time, pausing step_seconds after
-- each month so that the job takes a while (20 s by default) and its progress can
-- be watched. After each month it reports progress with asyncpage.progress (created
-- by `asyncpage migrate`; PL/pgSQL resolves it at run time, so this function can be
-- created first). only_region NULL means all regions. Dropped first so that a
-- reload also applies a changed result type.
DROP FUNCTION IF EXISTS demo_monthly_rollup(numeric, text);
CREATE OR REPLACE FUNCTION demo_monthly_rollup(step_seconds numeric DEFAULT 1,
                                               only_region text DEFAULT NULL)
RETURNS TABLE (month text, orders bigint, revenue numeric, average_order numeric,
               customers bigint, cancelled_pct numeric, change_pct numeric)
LANGUAGE plpgsql AS $$
DECLARE
    months constant int := 20;
    first_month constant timestamptz := date_trunc('month', now()) - (months - 1) * interval '1 month';
    m timestamptz;
    previous numeric;
BEGIN
    IF step_seconds IS NULL OR step_seconds < 0 THEN
        RAISE EXCEPTION 'demo_monthly_rollup: step_seconds must be 0 or more, got %', step_seconds
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM asyncpage.progress(0, 'Starting: ' || months || ' months of '
                                  || coalesce(only_region, 'all regions'));
    FOR i IN 1 .. months LOOP
        m := first_month + (i - 1) * interval '1 month';
        SELECT to_char(m, 'YYYY-MM'),
               count(*),
               coalesce(sum(o.amount), 0),
               round(avg(o.amount), 2),
               count(DISTINCT o.customer_id),
               round(100.0 * count(*) FILTER (WHERE o.status IN ('cancelled', 'refunded'))
                     / nullif(count(*), 0), 1)
        INTO month, orders, revenue, average_order, customers, cancelled_pct
        FROM orders AS o
        WHERE o.created >= m AND o.created < m + interval '1 month'
          AND (only_region IS NULL OR o.region = only_region);

        change_pct := CASE WHEN previous > 0 THEN round(100 * (revenue - previous) / previous, 1) END;
        previous := revenue;
        RETURN NEXT;

        PERFORM pg_sleep(step_seconds);
        PERFORM asyncpage.progress(i * 100 / months,
                                   format('Month %s of %s: %s, %s orders', i, months, month, orders));
    END LOOP;
END
$$;
