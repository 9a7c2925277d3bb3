-- Version 4: a claim is a lease (DESIGN §4; docs/ARCHITECTURE.md, "The life of a
-- job"). A claim commits at once and records who runs the job: a run id (new for
-- every claim), the host and the worker's pid, the attempt number and the time
-- the lease ends; the running worker's heartbeat moves lease_until on. Every write
-- of a run is conditional on `run` still being its own, so a run whose lease was
-- taken writes nothing. A job whose worker died (released at once by the
-- supervisor) or whose lease expired (a vanished host) runs again until
-- max_attempts, then ends failed.
ALTER TABLE asyncpage.jobs
    ADD COLUMN run uuid,
    ADD COLUMN host text,
    ADD COLUMN worker_pid int,
    ADD COLUMN attempt int NOT NULL DEFAULT 0,       -- runs started (a drain gives one back)
    ADD COLUMN max_attempts int NOT NULL DEFAULT 3,  -- 1 + job_retries (or retries:)
    ADD COLUMN lease_until timestamptz;

-- Jobs that ran under version 3 had one attempt. A running one gets a run and a
-- lease that ends as its heartbeat would have gone stale: unless a worker of this
-- version holds it, it runs again then.
UPDATE asyncpage.jobs SET attempt = 1 WHERE state IN ('running', 'succeeded', 'failed');
UPDATE asyncpage.jobs
SET run = gen_random_uuid(), lease_until = coalesce(heartbeat_at, now()) + interval '12 seconds'
WHERE state = 'running';

CREATE INDEX jobs_leases ON asyncpage.jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_workers ON asyncpage.jobs (host, worker_pid) WHERE state = 'running';

-- The job JSON gains the attempt (1 for the first run, 0 before it) and how many
-- runs it may have.
CREATE OR REPLACE FUNCTION asyncpage.job_json(j asyncpage.jobs) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', j.id,
        'report', left(j.report, 200),
        'state', j.state,
        'progress', j.progress,
        'message', left(j.message, 1000),
        'version', j.version,
        'attempt', j.attempt,
        'max_attempts', j.max_attempts,
        'created_at', j.created_at,
        'started_at', j.started_at,
        'finished_at', j.finished_at,
        'error', CASE WHEN j.error_message IS NULL THEN NULL
                      ELSE json_build_object('sqlstate', j.error_sqlstate,
                                             'message', left(j.error_message, 2000)) END)
$$;

-- A change of attempt is visible too (a job queued again keeps its state name
-- only when it had not started yet).
CREATE OR REPLACE FUNCTION asyncpage.jobs_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state IS DISTINCT FROM OLD.state OR NEW.progress IS DISTINCT FROM OLD.progress
       OR NEW.message IS DISTINCT FROM OLD.message OR NEW.attempt IS DISTINCT FROM OLD.attempt THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END
$$;

-- create_job with the number of runs the job may have (1 + retries).
CREATE FUNCTION asyncpage.create_job(p_report text, p_params jsonb, p_owner text,
                                     p_quota_key text, p_max_queued int, p_max_attempts int)
RETURNS SETOF asyncpage.jobs
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('asyncpage.job_quota'), hashtext(p_quota_key));
    IF (SELECT count(*) FROM asyncpage.jobs
        WHERE state = 'queued' AND quota_key = p_quota_key) >= p_max_queued THEN
        RETURN;
    END IF;
    RETURN QUERY
        INSERT INTO asyncpage.jobs (report, params, owner, quota_key, max_attempts)
        VALUES (p_report, p_params, p_owner, p_quota_key, greatest(p_max_attempts, 1))
        RETURNING *;
END
$$;

-- The run `p_run` of job `p_id` was lost (its worker died, its lease expired, its
-- database session broke): the job goes back to the queue when it has attempts
-- left, else it ends failed saying how many runs it had and why the last one
-- ended. Nothing happens when the job is no longer that run's (another run took
-- it, or it ended). Returns the job's new state, or NULL when nothing changed.
CREATE FUNCTION asyncpage.lose_run(p_id uuid, p_run uuid, p_why text)
RETURNS text
LANGUAGE sql VOLATILE AS $$
    UPDATE asyncpage.jobs
    SET state = CASE WHEN attempt < max_attempts THEN 'queued' ELSE 'failed' END,
        run = NULL, lease_until = NULL,
        progress = CASE WHEN attempt < max_attempts THEN NULL ELSE progress END,
        message = CASE WHEN attempt < max_attempts
                       THEN 'queued again after attempt ' || attempt || ' of ' || max_attempts
                            || ': ' || p_why
                       ELSE message END,
        finished_at = CASE WHEN attempt < max_attempts THEN NULL ELSE now() END,
        error_sqlstate = CASE WHEN attempt < max_attempts THEN NULL ELSE '08006' END,
        error_message = CASE WHEN attempt < max_attempts THEN NULL
                             ELSE 'failed after ' || attempt
                                  || CASE WHEN attempt = 1 THEN ' attempt' ELSE ' attempts' END
                                  || '; the last one ended because ' || p_why END
    WHERE id = p_id AND run = p_run AND state = 'running'
    RETURNING state
$$;
