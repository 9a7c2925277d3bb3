-- asyncpage's own schema, version 1: background jobs (DESIGN §4).
-- Applied by `asyncpage migrate` inside one transaction under an advisory lock.

CREATE SCHEMA IF NOT EXISTS asyncpage;

CREATE TABLE asyncpage.jobs (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    report         text NOT NULL,
    -- The params as the client gave them (name -> text); validated again when run.
    params         jsonb NOT NULL DEFAULT '{}',
    -- REMOTE_USER from nginx, or NULL: visible to anyone who has the id.
    owner          text,
    state          text NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    progress       int CHECK (progress BETWEEN 0 AND 100),
    message        text,
    -- Grows with every state or progress change (trigger below); /wait?since=V.
    version        bigint NOT NULL DEFAULT 1,
    error_sqlstate text,
    error_message  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz,
    -- The running worker ("host pid N") refreshes heartbeat_at; a stale one means
    -- the worker or its session is gone, and any worker fails the job.
    runner         text,
    heartbeat_at   timestamptz
);

CREATE INDEX jobs_queued ON asyncpage.jobs (created_at) WHERE state = 'queued';
CREATE INDEX jobs_running ON asyncpage.jobs (heartbeat_at) WHERE state = 'running';
CREATE INDEX jobs_finished ON asyncpage.jobs (finished_at) WHERE finished_at IS NOT NULL;

-- One row per section of a finished job, in file order. Cells are stored as text
-- (PostgreSQL's output form) with the column type OIDs, so a stored result renders
-- exactly like a live one in HTML, JSON and CSV.
CREATE TABLE asyncpage.job_results (
    job_id         uuid NOT NULL REFERENCES asyncpage.jobs (id) ON DELETE CASCADE,
    position       int NOT NULL,
    name           text NOT NULL,
    status         text NOT NULL CHECK (status IN ('ok', 'timeout', 'error', 'cancelled')),
    elapsed_ms     double precision NOT NULL DEFAULT 0,
    columns        jsonb NOT NULL DEFAULT '[]',  -- [{"name": .., "type": OID}]
    rows           jsonb NOT NULL DEFAULT '[]',  -- [[text or null, ..], ..]
    error_sqlstate text,
    message        text,
    PRIMARY KEY (job_id, position)
);

-- The job JSON of DESIGN §3, built in one place for GET /jobs/ID and for the
-- notifications. Long texts are cut so a notification stays under NOTIFY's 8000
-- byte payload limit.
CREATE FUNCTION asyncpage.job_json(j asyncpage.jobs) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', j.id,
        'report', left(j.report, 200),
        'state', j.state,
        'progress', j.progress,
        'message', left(j.message, 1000),
        'version', j.version,
        'created_at', j.created_at,
        'started_at', j.started_at,
        'finished_at', j.finished_at,
        'error', CASE WHEN j.error_message IS NULL THEN NULL
                      ELSE json_build_object('sqlstate', j.error_sqlstate,
                                             'message', left(j.error_message, 2000)) END)
$$;

CREATE FUNCTION asyncpage.jobs_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state IS DISTINCT FROM OLD.state OR NEW.progress IS DISTINCT FROM OLD.progress
       OR NEW.message IS DISTINCT FROM OLD.message THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER jobs_bump_version BEFORE UPDATE ON asyncpage.jobs
FOR EACH ROW EXECUTE FUNCTION asyncpage.jobs_bump_version();

-- Every change a client can see is published on one channel; every worker LISTENs
-- and wakes its own long polls and event streams. NOTIFY is sent at commit.
CREATE FUNCTION asyncpage.jobs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.version <> OLD.version THEN
        PERFORM pg_notify('asyncpage_jobs', asyncpage.job_json(NEW)::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE ON asyncpage.jobs
FOR EACH ROW EXECUTE FUNCTION asyncpage.jobs_notify();

-- Called from report SQL: SELECT asyncpage.progress(40, 'Loading orders').
-- The NOTICE goes straight to the worker running the job (libpq's notice
-- receiver), which records it on the job and publishes it. SQLSTATE AP001 and the
-- detail mark it as ours. Outside a job it is a harmless notice.
CREATE FUNCTION asyncpage.progress(pct int, message text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF pct IS NULL OR pct < 0 OR pct > 100 THEN
        RAISE EXCEPTION 'asyncpage.progress: pct must be between 0 and 100, got %', pct
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RAISE NOTICE USING ERRCODE = 'AP001', MESSAGE = coalesce(message, ''),
        DETAIL = 'asyncpage.progress ' || pct;
END
$$;
