// The job store's SQL. The job JSON itself is built in PostgreSQL
// (asyncpage.job_json), so a notification and a read give the same text.
#include "jobs/store.hpp"

#include <cstdlib>

#include "jobs/codec.hpp"
#include "model/pg_error.hpp"

namespace asyncpage::jobs {

namespace {
// No row: the quota key has job_max_queued queued jobs (sql/migrations/003_job_quota.sql).
constexpr const char* kCreateSql = R"sql(
SELECT j.id::text, asyncpage.job_json(j)::text
FROM asyncpage.create_job($1, $2::jsonb, $3, $4, $5::int) j)sql";

constexpr const char* kReadSql = R"sql(
SELECT asyncpage.job_json(j)::text, j.params::text FROM asyncpage.jobs j
WHERE j.id = $1::uuid AND (j.owner IS NULL OR j.owner = $2))sql";

// Cancels a queued or running job; for a finished one, returns it unchanged. The
// runner hears the change through the notification and cancels the query.
constexpr const char* kReadJobSql = R"sql(
SELECT asyncpage.job_json(j)::text FROM asyncpage.jobs j WHERE j.id = $1::uuid)sql";

constexpr const char* kCancelSql = R"sql(
WITH c AS (
  UPDATE asyncpage.jobs j SET state = 'cancelled', finished_at = now()
  WHERE j.id = $1::uuid AND (j.owner IS NULL OR j.owner = $2) AND j.state IN ('queued', 'running')
  RETURNING asyncpage.job_json(j)::text AS json)
SELECT json, true FROM c
UNION ALL
SELECT asyncpage.job_json(j)::text, false FROM asyncpage.jobs j
WHERE j.id = $1::uuid AND (j.owner IS NULL OR j.owner = $2) AND NOT EXISTS (SELECT 1 FROM c))sql";

constexpr const char* kResultSql = R"sql(
SELECT name, status, elapsed_ms, columns::text, rows::text, error_sqlstate, message
FROM asyncpage.job_results WHERE job_id = $1::uuid ORDER BY position)sql";

constexpr const char* kClaimSql = R"sql(
UPDATE asyncpage.jobs j
SET state = 'running', started_at = now(), heartbeat_at = now(), runner = $1
WHERE j.id = (SELECT id FROM asyncpage.jobs
              WHERE state = 'queued' AND report IN (SELECT jsonb_array_elements_text($2::jsonb))
              ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING j.id::text, j.report, j.params::text)sql";

constexpr const char* kProgressSql = R"sql(
UPDATE asyncpage.jobs SET progress = $2::int, message = $3, heartbeat_at = now()
WHERE id = $1::uuid AND state = 'running' AND runner = $4)sql";

// Results and the final state in one statement. Results are kept also when the job
// was cancelled meanwhile (the sections say how far they got); the state only
// changes if the job is still ours and running.
constexpr const char* kFinishSql = R"sql(
WITH stored AS (
  INSERT INTO asyncpage.job_results
    (job_id, position, name, status, elapsed_ms, columns, rows, error_sqlstate, message)
  SELECT $1::uuid, s.position, s.name, s.status, s.elapsed_ms, s.columns, s.rows,
         s.error_sqlstate, s.message
  FROM jsonb_to_recordset($2::jsonb) AS s(position int, name text, status text,
       elapsed_ms float8, columns jsonb, rows jsonb, error_sqlstate text, message text)
  WHERE EXISTS (SELECT 1 FROM asyncpage.jobs WHERE id = $1::uuid AND runner = $3)
  ON CONFLICT DO NOTHING
  RETURNING 1)
UPDATE asyncpage.jobs
SET state = $4, finished_at = now(),
    progress = CASE WHEN $4 = 'succeeded' THEN 100 ELSE progress END,
    error_sqlstate = $5, error_message = $6
WHERE id = $1::uuid AND state = 'running' AND runner = $3)sql";

constexpr const char* kRequeueSql = R"sql(
UPDATE asyncpage.jobs
SET state = 'queued', started_at = NULL, runner = NULL, heartbeat_at = NULL, progress = NULL,
    message = 'queued again: the worker running it was stopped'
WHERE id = $1::uuid AND state = 'running' AND runner = $2)sql";

constexpr const char* kHeartbeatSql = R"sql(
UPDATE asyncpage.jobs SET heartbeat_at = now() WHERE runner = $1 AND state = 'running')sql";

constexpr const char* kReapSql = R"sql(
UPDATE asyncpage.jobs
SET state = 'failed', finished_at = now(), error_sqlstate = '08006',
    error_message = 'the worker running this job stopped or lost its database session'
                    || ' (no heartbeat since ' || to_char(heartbeat_at, 'YYYY-MM-DD HH24:MI:SS TZ')
                    || ')'
WHERE state = 'running' AND heartbeat_at < now() - $1::interval
RETURNING id::text)sql";

constexpr const char* kPurgeSql = R"sql(
DELETE FROM asyncpage.jobs WHERE finished_at < now() - $1::interval)sql";

std::string interval(Millis ms) {
    return std::to_string(ms.count()) + " milliseconds";
}

pg::Param nullable(const std::string& s) {
    return s.empty() ? pg::Param() : pg::Param(s);
}

int rows_affected(const pg::Outcome& o) {
    return std::atoi(PQcmdTuples(o.result.get()));
}
}  // namespace

bool schema_missing(const pg::Outcome& o) {
    return model::sqlstate::is_schema_missing(o.sqlstate);
}

void Store::create(const std::string& report, const std::string& params_json, pg::Param owner,
                   const std::string& quota_key, int max_queued, Answer<const CreatedJob&> done) {
    meta_.run("jobs:write", kCreateSql,
              {report, params_json, std::move(owner), quota_key, std::to_string(max_queued)},
              [done = std::move(done)](pg::Outcome& o) {
                  CreatedJob job;
                  if (o.ok && o.rows() > 0) {
                      job.id = o.text(0, 0);
                      job.json = o.text(0, 1);
                  } else if (o.ok) {
                      job.over_quota = true;
                  }
                  done(o, job);
              });
}

void Store::read(const std::string& id, pg::Param owner,
                 Answer<const std::optional<StoredJob>&> done) {
    meta_.run("jobs:read", kReadSql, {id, std::move(owner)},
              [done = std::move(done)](pg::Outcome& o) {
                  std::optional<StoredJob> job;
                  if (o.ok && o.rows() > 0) job = StoredJob{o.text(0, 0), o.text(0, 1)};
                  done(o, job);
              });
}

void Store::read_job(const std::string& id, Answer<const std::optional<std::string>&> done) {
    meta_.run("jobs:read", kReadJobSql, {id}, [done = std::move(done)](pg::Outcome& o) {
        std::optional<std::string> json;
        if (o.ok && o.rows() > 0) json = o.text(0, 0);
        done(o, json);
    });
}

void Store::cancel(const std::string& id, pg::Param owner,
                   Answer<const std::optional<CancelledJob>&> done) {
    meta_.run("jobs:write", kCancelSql, {id, std::move(owner)},
              [done = std::move(done)](pg::Outcome& o) {
                  std::optional<CancelledJob> job;
                  if (o.ok && o.rows() > 0) job = CancelledJob{o.text(0, 0), o.text(0, 1) == "t"};
                  done(o, job);
              });
}

void Store::read_result(const std::string& id, Answer<std::vector<model::SectionResult>&> done) {
    meta_.run("jobs:read", kResultSql, {id}, [done = std::move(done)](pg::Outcome& o) {
        std::vector<model::SectionResult> sections;
        for (int i = 0; o.ok && i < o.rows(); ++i) {
            StoredSection s;
            s.name = o.text(i, 0);
            s.status = o.text(i, 1);
            s.elapsed_ms = std::atof(o.text(i, 2).c_str());
            s.columns = o.text(i, 3);
            s.rows = o.text(i, 4);
            if (!o.is_null(i, 5)) s.sqlstate = o.text(i, 5);
            if (!o.is_null(i, 6)) s.message = o.text(i, 6);
            sections.push_back(decode_section(s));
        }
        done(o, sections);
    });
}

void Store::claim(const std::string& runner, const std::string& report_names_json,
                  Answer<const std::optional<ClaimedJob>&> done) {
    meta_.run("jobs:claim", kClaimSql, {runner, report_names_json},
              [done = std::move(done)](pg::Outcome& o) {
                  std::optional<ClaimedJob> job;
                  if (o.ok && o.rows() > 0)
                      job = ClaimedJob{o.text(0, 0), o.text(0, 1), decode_params(o.text(0, 2))};
                  done(o, job);
              });
}

void Store::record_progress(const std::string& id, int pct, const std::string& message,
                            const std::string& runner, Answer<> done) {
    meta_.run("jobs:progress", kProgressSql, {id, std::to_string(pct), message, runner},
              std::move(done));
}

void Store::finish(const std::string& id, const std::vector<model::SectionResult>& results,
                   const std::string& runner, const std::string& state, const std::string& sqlstate,
                   const std::string& message, Answer<bool> done) {
    meta_.run("jobs:finish", kFinishSql,
              {id, encode_results(results), runner, state, nullable(sqlstate), nullable(message)},
              [done = std::move(done)](pg::Outcome& o) { done(o, o.ok && rows_affected(o) > 0); });
}

void Store::requeue(const std::string& id, const std::string& runner, Answer<> done) {
    meta_.run("jobs:finish", kRequeueSql, {id, runner}, std::move(done));
}

void Store::heartbeat(const std::string& runner, Answer<> done) {
    meta_.run("jobs:sweep", kHeartbeatSql, {runner}, std::move(done));
}

void Store::reap(Millis stale_after, Answer<const std::vector<std::string>&> done) {
    meta_.run("jobs:sweep", kReapSql, {interval(stale_after)},
              [done = std::move(done)](pg::Outcome& o) {
                  std::vector<std::string> ids;
                  for (int i = 0; o.ok && i < o.rows(); ++i)
                      ids.push_back(o.text(i, 0));
                  done(o, ids);
              });
}

void Store::purge(Millis retention, Answer<int> done) {
    meta_.run("jobs:sweep", kPurgeSql, {interval(retention)},
              [done = std::move(done)](pg::Outcome& o) { done(o, o.ok ? rows_affected(o) : 0); });
}

}  // namespace asyncpage::jobs
