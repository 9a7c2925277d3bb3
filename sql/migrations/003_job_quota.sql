-- Version 3: job_max_queued, the bound on queued jobs of one owner (DESIGN §8).
-- Each job records whom its quota counts against: its owner (REMOTE_USER) or, for
-- anonymous jobs, the client address (REMOTE_ADDR): "user:NAME" or "addr:ADDRESS".
ALTER TABLE asyncpage.jobs ADD COLUMN quota_key text;
CREATE INDEX jobs_queued_by ON asyncpage.jobs (quota_key) WHERE state = 'queued';

-- Creates a job unless `quota_key` already has `max_queued` queued jobs; returns
-- the new job, or no row when over the quota. A burst of concurrent creates cannot
-- exceed it: the advisory lock (per quota key, held to the end of the transaction)
-- serialises them, and a VOLATILE plpgsql function takes a fresh snapshot for each
-- statement, so the count sees the jobs that the previous holder committed (one
-- INSERT ... WHERE count < N would count with the snapshot taken before the lock).
CREATE FUNCTION asyncpage.create_job(p_report text, p_params jsonb, p_owner text,
                                     p_quota_key text, p_max_queued int)
RETURNS SETOF asyncpage.jobs
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('asyncpage.job_quota'), hashtext(p_quota_key));
    IF (SELECT count(*) FROM asyncpage.jobs
        WHERE state = 'queued' AND quota_key = p_quota_key) >= p_max_queued THEN
        RETURN;
    END IF;
    RETURN QUERY
        INSERT INTO asyncpage.jobs (report, params, owner, quota_key)
        VALUES (p_report, p_params, p_owner, p_quota_key)
        RETURNING *;
END
$$;
