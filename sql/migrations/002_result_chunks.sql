-- Version 2: a job's rows are stored as they arrive, in chunks, instead of one
-- jsonb value per section holding the whole result (PostgreSQL caps a value near
-- 256 MB, and reading it back meant holding all of it in a worker). A section's
-- row in job_results keeps its name, status, columns and error; its rows are in
-- job_result_chunks, read back chunk by chunk in order (docs/ARCHITECTURE.md,
-- "Life of a job"). Both are keyed by the run that wrote them (jobs.runner when
-- it was claimed), and only the rows of the job's own runner are read: a run that
-- no longer holds its job can write nothing that is shown, and a job claimed
-- again starts from an empty result.

CREATE TABLE asyncpage.job_result_chunks (
    job_id    uuid NOT NULL REFERENCES asyncpage.jobs (id) ON DELETE CASCADE,
    run       text NOT NULL,
    position  int NOT NULL,     -- the section's position in file order
    chunk     int NOT NULL,     -- 0, 1, 2, ... in row order
    first_row bigint NOT NULL,  -- row number (from 0) of the chunk's first row
    row_count int NOT NULL,
    -- [[text or null, ..], ..]: cells in PostgreSQL's text output form. Plain text:
    -- written and read by asyncpage only, never queried inside.
    rows      text NOT NULL,
    PRIMARY KEY (job_id, run, position, chunk)
);

ALTER TABLE asyncpage.job_results ADD COLUMN run text NOT NULL DEFAULT '';
ALTER TABLE asyncpage.job_results ADD COLUMN row_count bigint NOT NULL DEFAULT 0;
ALTER TABLE asyncpage.job_results ALTER COLUMN run DROP DEFAULT;

-- Results stored by version 1 keep rendering: they belong to the job's runner,
-- and their rows become chunk 0.
UPDATE asyncpage.job_results r
SET run = coalesce(j.runner, ''),
    row_count = CASE WHEN jsonb_typeof(r.rows) = 'array' THEN jsonb_array_length(r.rows) ELSE 0 END
FROM asyncpage.jobs j
WHERE j.id = r.job_id;

INSERT INTO asyncpage.job_result_chunks (job_id, run, position, chunk, first_row, row_count, rows)
SELECT job_id, run, position, 0, 0, row_count, rows::text
FROM asyncpage.job_results
WHERE row_count > 0;

ALTER TABLE asyncpage.job_results DROP COLUMN rows;
ALTER TABLE asyncpage.job_results DROP CONSTRAINT job_results_pkey;
ALTER TABLE asyncpage.job_results ADD PRIMARY KEY (job_id, run, position);
