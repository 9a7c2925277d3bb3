// The job store's SQL. The job JSON itself is built in PostgreSQL
// (asyncpage.job_json), so a notification and a read give the same text.
#include "jobs/store.hpp"

#include <cstdlib>
#include <map>
#include <memory>

#include "jobs/codec.hpp"
#include "model/pg_error.hpp"

namespace asyncpage::jobs {

namespace {
// No row: the quota key has job_max_queued queued jobs (sql/migrations/003_job_quota.sql).
constexpr const char* kCreateSql = R"sql(
SELECT j.id::text, asyncpage.job_json(j)::text
FROM asyncpage.create_job($1, $2::jsonb, $3, $4, $5::int, $6::int) j)sql";

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

// A result is the rows its job's current run wrote (docs/ARCHITECTURE.md,
// "Life of a job"): what another run wrote is never shown. Results stored before
// version 4 of the schema are keyed by the job's runner instead.
constexpr const char* kSectionsSql = R"sql(
SELECT r.position, r.name, r.status, r.elapsed_ms, r.columns::text, r.row_count,
       r.error_sqlstate, r.message
FROM asyncpage.job_results r JOIN asyncpage.jobs j
  ON j.id = r.job_id AND coalesce(j.run::text, j.runner) = r.run
WHERE r.job_id = $1::uuid ORDER BY r.position)sql";

constexpr const char* kChunksSql = R"sql(
SELECT c.position, c.rows
FROM asyncpage.job_result_chunks c JOIN asyncpage.jobs j
  ON j.id = c.job_id AND coalesce(j.run::text, j.runner) = c.run
WHERE c.job_id = $1::uuid AND ($2::int IS NULL OR c.position = $2::int)
  AND ($3::bigint IS NULL OR c.first_row < $3::bigint)
ORDER BY c.position, c.chunk)sql";

// A claim touches asyncpage.jobs only: results are never in its way. It is a
// lease (sql/migrations/004_job_leases.sql): a new run id, who runs it, the next
// attempt, and lease_until, which the heartbeat moves on. It commits at once: no
// row lock is held while the job runs.
constexpr const char* kClaimSql = R"sql(
UPDATE asyncpage.jobs j
SET state = 'running', started_at = now(), heartbeat_at = now(), runner = $1,
    run = gen_random_uuid(), host = $3, worker_pid = $4::int, attempt = j.attempt + 1,
    lease_until = now() + $5::interval
WHERE j.id = (SELECT id FROM asyncpage.jobs
              WHERE state = 'queued' AND report IN (SELECT jsonb_array_elements_text($2::jsonb))
              ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING j.id::text, j.report, j.params::text, j.run::text, j.attempt, j.max_attempts)sql";

constexpr const char* kProgressSql = R"sql(
UPDATE asyncpage.jobs SET progress = $2::int, message = $3
WHERE id = $1::uuid AND state = 'running' AND run::text = $4)sql";

// A chunk is stored only while the job is this run's and running. FOR SHARE
// makes the check wait for a concurrent cancel or claim of the row and see its
// outcome (READ COMMITTED re-checks a locked row's newest version).
constexpr const char* kChunkSql = R"sql(
INSERT INTO asyncpage.job_result_chunks (job_id, run, position, chunk, first_row, row_count, rows)
SELECT $1::uuid, $2, $3::int, $4::int, $5::bigint, $6::int, $7
WHERE EXISTS (SELECT 1 FROM asyncpage.jobs
              WHERE id = $1::uuid AND run::text = $2 AND state = 'running' FOR SHARE))sql";

// The sections and the final state in one statement. Sections are kept also when
// the job was cancelled meanwhile (they say how far they got); the state only
// changes if the job is still ours and running. What is never shown is deleted
// here, only while the job is still this run's (a run that lost its lease must
// not touch the result of the run that took it): the rows of sections that did
// not finish, and what earlier runs of the job (put back by a drain, or lost)
// stored.
constexpr const char* kFinishSql = R"sql(
WITH s AS (
  SELECT * FROM jsonb_to_recordset($2::jsonb) AS s(position int, name text, status text,
       elapsed_ms float8, columns jsonb, row_count bigint, error_sqlstate text, message text)),
mine AS (SELECT 1 FROM asyncpage.jobs WHERE id = $1::uuid AND run::text = $3),
stored AS (
  INSERT INTO asyncpage.job_results
    (job_id, run, position, name, status, elapsed_ms, columns, row_count, error_sqlstate, message)
  SELECT $1::uuid, $3, s.position, s.name, s.status, s.elapsed_ms, s.columns, s.row_count,
         s.error_sqlstate, s.message
  FROM s
  WHERE EXISTS (SELECT 1 FROM mine)
  ON CONFLICT DO NOTHING
  RETURNING 1),
unshown_rows AS (
  DELETE FROM asyncpage.job_result_chunks c
  WHERE c.job_id = $1::uuid AND EXISTS (SELECT 1 FROM mine)
    AND (c.run <> $3 OR c.position NOT IN (SELECT position FROM s WHERE status = 'ok'))),
unshown_sections AS (
  DELETE FROM asyncpage.job_results r
  WHERE r.job_id = $1::uuid AND r.run <> $3 AND EXISTS (SELECT 1 FROM mine))
UPDATE asyncpage.jobs
SET state = $4, finished_at = now(),
    progress = CASE WHEN $4 = 'succeeded' THEN 100 ELSE progress END,
    error_sqlstate = $5, error_message = $6
WHERE id = $1::uuid AND state = 'running' AND run::text = $3)sql";

constexpr const char* kFailUnstoredSql = R"sql(
UPDATE asyncpage.jobs
SET state = 'failed', finished_at = now(), error_sqlstate = $3, error_message = $4
WHERE id = $1::uuid AND state = 'running' AND run::text = $2)sql";

// A drain is not a failure: the attempt it used is given back.
constexpr const char* kRequeueSql = R"sql(
UPDATE asyncpage.jobs
SET state = 'queued', started_at = NULL, runner = NULL, heartbeat_at = NULL, progress = NULL,
    run = NULL, host = NULL, worker_pid = NULL, lease_until = NULL,
    attempt = greatest(attempt - 1, 0),
    message = 'queued again: the worker running it was stopped'
WHERE id = $1::uuid AND state = 'running' AND run::text = $2)sql";

// Renews the leases of this worker's runs. It returns the runs that still hold
// their job: renewed, or ended meanwhile by a cancel (that run stops when it hears
// the notification, and may still store how far it got). The runs it does not
// return lost their job (it was taken after the lease expired, or lost).
constexpr const char* kHeartbeatSql = R"sql(
WITH renewed AS (
  UPDATE asyncpage.jobs SET heartbeat_at = now(), lease_until = now() + $2::interval
  WHERE run::text = ANY ($1::text[]) AND state = 'running'
  RETURNING run::text AS run)
SELECT run FROM renewed
UNION
SELECT run::text FROM asyncpage.jobs WHERE run::text = ANY ($1::text[]))sql";

// Runs whose lease expired (their host vanished, or their worker stopped beating
// and nobody released it) are lost: queued again or failed (asyncpage.lose_run).
constexpr const char* kExpireSql = R"sql(
SELECT j.id::text, asyncpage.lose_run(j.id, j.run,
         'its lease expired: no heartbeat from ' || coalesce(j.runner, 'its worker') || ' since '
         || to_char(j.heartbeat_at, 'YYYY-MM-DD HH24:MI:SS TZ'))
FROM asyncpage.jobs j
WHERE j.state = 'running' AND j.lease_until < now())sql";

constexpr const char* kPurgeSql = R"sql(
DELETE FROM asyncpage.jobs WHERE finished_at < now() - $1::interval)sql";

std::string interval(Millis ms) {
    return std::to_string(ms.count()) + " milliseconds";
}

// A text[] literal of run ids (UUIDs: no character that needs quoting; quoted
// anyway, so that the literal stays one element per id whatever it holds).
std::string text_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char c : items[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
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
                   const std::string& quota_key, int max_queued, int max_attempts,
                   Answer<const CreatedJob&> done) {
    meta_.run("jobs:write", kCreateSql,
              {report, params_json, std::move(owner), quota_key, std::to_string(max_queued),
               std::to_string(max_attempts)},
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

void Store::read_sections(const std::string& id, Answer<std::vector<StoredSectionHead>&> done) {
    results_.run("jobs:result-read", kSectionsSql, {id}, [done = std::move(done)](pg::Outcome& o) {
        std::vector<StoredSectionHead> sections;
        for (int i = 0; o.ok && i < o.rows(); ++i) {
            StoredSection s;
            s.name = o.text(i, 1);
            s.status = o.text(i, 2);
            s.elapsed_ms = std::atof(o.text(i, 3).c_str());
            s.columns = o.text(i, 4);
            if (!o.is_null(i, 6)) s.sqlstate = o.text(i, 6);
            if (!o.is_null(i, 7)) s.message = o.text(i, 7);
            StoredSectionHead head;
            head.position = std::atoi(o.text(i, 0).c_str());
            head.columns = decode_columns(s.columns);
            head.section = decode_section(s);
            head.row_count = std::atoll(o.text(i, 5).c_str());
            sections.push_back(std::move(head));
        }
        done(o, sections);
    });
}

std::pair<std::string, std::vector<pg::Param>> Store::chunks_query(const std::string& id,
                                                                   std::optional<int> position) {
    return {kChunksSql,
            {id, position ? pg::Param(std::to_string(*position)) : pg::Param(), pg::Param()}};
}

void Store::read_result_head(const std::string& id, std::int64_t max_rows,
                             Answer<std::vector<model::SectionResult>&> done) {
    read_sections(id, [this, id, max_rows, done = std::move(done)](
                          pg::Outcome& o, std::vector<StoredSectionHead>& heads) mutable {
        std::vector<model::SectionResult> sections;
        if (!o.ok || heads.empty()) {
            done(o, sections);
            return;
        }
        auto shared = std::make_shared<std::vector<StoredSectionHead>>(std::move(heads));
        results_.run(
            "jobs:result-read", kChunksSql, {id, pg::Param(), std::to_string(max_rows)},
            [shared, max_rows, done = std::move(done)](pg::Outcome& o) {
                std::vector<model::SectionResult> sections;
                if (o.ok) {
                    // At most max_rows rows plus one chunk per section: bounded.
                    std::map<int, std::vector<std::vector<std::optional<std::string>>>> rows;
                    for (int i = 0; i < o.rows(); ++i) {
                        auto& cells = rows[std::atoi(o.text(i, 0).c_str())];
                        decode_rows(o.text(i, 1), cells);
                        if (static_cast<std::int64_t>(cells.size()) > max_rows)
                            cells.resize(static_cast<std::size_t>(max_rows));
                    }
                    for (auto& head : *shared) {
                        model::SectionResult s = std::move(head.section);
                        if (s.status == model::SectionStatus::Ok && !head.columns.empty())
                            s.table = model::make_table(head.columns, rows[head.position]);
                        sections.push_back(std::move(s));
                    }
                }
                done(o, sections);
            });
    });
}

void Store::claim(const Claimant& who, const std::string& report_names_json,
                  Answer<const std::optional<ClaimedJob>&> done) {
    meta_.run(
        "jobs:claim", kClaimSql,
        {who.runner, report_names_json, who.host, std::to_string(who.pid), interval(who.lease)},
        [done = std::move(done)](pg::Outcome& o) {
            std::optional<ClaimedJob> job;
            if (o.ok && o.rows() > 0) {
                job = ClaimedJob{};
                job->id = o.text(0, 0);
                job->report = o.text(0, 1);
                job->params = decode_params(o.text(0, 2));
                job->run = o.text(0, 3);
                job->attempt = std::atoi(o.text(0, 4).c_str());
                job->max_attempts = std::atoi(o.text(0, 5).c_str());
            }
            done(o, job);
        });
}

void Store::record_progress(const std::string& id, int pct, const std::string& message,
                            const std::string& runner, Answer<> done) {
    meta_.run("jobs:progress", kProgressSql, {id, std::to_string(pct), message, runner},
              std::move(done));
}

void Store::write_chunk(const std::string& id, const std::string& runner, const Chunk& chunk,
                        Answer<bool> stored) {
    results_.run(
        "jobs:result-write", kChunkSql,
        {id, runner, std::to_string(chunk.position), std::to_string(chunk.number),
         std::to_string(chunk.first_row), std::to_string(chunk.row_count), chunk.rows},
        [stored = std::move(stored)](pg::Outcome& o) { stored(o, o.ok && rows_affected(o) > 0); });
}

void Store::finish(const std::string& id, const std::string& sections_json,
                   const std::string& runner, const std::string& state, const std::string& sqlstate,
                   const std::string& message, Answer<bool> done) {
    meta_.run("jobs:finish", kFinishSql,
              {id, sections_json, runner, state, nullable(sqlstate), nullable(message)},
              [done = std::move(done)](pg::Outcome& o) { done(o, o.ok && rows_affected(o) > 0); });
}

void Store::fail_unstored(const std::string& id, const std::string& runner,
                          const std::string& sqlstate, const std::string& message, Answer<> done) {
    meta_.run("jobs:finish", kFailUnstoredSql, {id, runner, sqlstate, message}, std::move(done));
}

void Store::requeue(const std::string& id, const std::string& runner, Answer<> done) {
    meta_.run("jobs:finish", kRequeueSql, {id, runner}, std::move(done));
}

void Store::lose(const std::string& id, const std::string& runner, const std::string& why,
                 Answer<const std::string&> done) {
    meta_.run("jobs:finish", "SELECT asyncpage.lose_run($1::uuid, $2::uuid, $3)", {id, runner, why},
              [done = std::move(done)](pg::Outcome& o) {
                  std::string state;
                  if (o.ok && o.rows() > 0 && !o.is_null(0, 0)) state = o.text(0, 0);
                  done(o, state);
              });
}

void Store::heartbeat(const std::vector<std::string>& runs, Millis lease,
                      Answer<const std::set<std::string>&> renewed) {
    meta_.run("jobs:sweep", kHeartbeatSql, {text_array(runs), interval(lease)},
              [renewed = std::move(renewed)](pg::Outcome& o) {
                  std::set<std::string> held;
                  for (int i = 0; o.ok && i < o.rows(); ++i)
                      held.insert(o.text(i, 0));
                  renewed(o, held);
              });
}

void Store::expire(Answer<const std::vector<LostRun>&> done) {
    meta_.run("jobs:sweep", kExpireSql, {}, [done = std::move(done)](pg::Outcome& o) {
        std::vector<LostRun> lost;
        for (int i = 0; o.ok && i < o.rows(); ++i) {
            if (o.is_null(i, 1)) continue;  // another worker took it first
            lost.push_back(LostRun{o.text(i, 0), o.text(i, 1)});
        }
        done(o, lost);
    });
}

void Store::purge(Millis retention, Answer<int> done) {
    meta_.run("jobs:sweep", kPurgeSql, {interval(retention)},
              [done = std::move(done)](pg::Outcome& o) { done(o, o.ok ? rows_affected(o) : 0); });
}

}  // namespace asyncpage::jobs
