#pragma once
// The job store: every statement on asyncpage.jobs and its results, run without
// blocking the loop: bookkeeping (claims, heartbeats, progress, states) through
// the worker's bookkeeping Statements, result rows through Statements on a pool
// of their own, so that storing or reading a large result never delays a
// heartbeat or a claim (docs/ARCHITECTURE.md, "Life of a job"). Each call
// answers its callback exactly once with the statement's outcome (outcome.ok false:
// sqlstate and message say why) and, when it ran, the decoded answer. Owner checks
// are in the SQL: a job of another REMOTE_USER is the same as no job.
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "http/request.hpp"
#include "model/result.hpp"
#include "pg/statements.hpp"

namespace asyncpage::jobs {

struct StoredJob {
    std::string json;    // asyncpage.job_json, one line
    std::string params;  // the params JSON it was created with
};

struct CreatedJob {
    std::string id, json;
    bool over_quota = false;  // nothing was created: job_max_queued reached
};

struct CancelledJob {
    std::string json;      // the job after the statement
    bool changed = false;  // false: it had already finished, nothing was cancelled
};

struct ClaimedJob {
    std::string id, report;
    http::Fields params;
    std::string run;  // this claim's run id: every write of the run is conditional on it
    int attempt = 1, max_attempts = 1;
};

// Who claims: recorded on the job with the lease (sql/migrations/004_job_leases.sql).
struct Claimant {
    std::string runner;  // "HOST pid N", for people reading the table
    std::string host;
    int pid = 0;
    Millis lease{10000};  // job_lease
};

// A run whose lease expired and that the expiry put back in the queue or failed.
struct LostRun {
    std::string id, state;  // the job and its state now: queued or failed
};

// One stored section of a job's result (its rows are in chunks: ResultStream).
struct StoredSectionHead {
    int position = 0;
    model::SectionResult section;  // name, status, elapsed, error; table empty
    std::vector<model::ColumnSpec> columns;
    std::int64_t row_count = 0;
};

// One chunk of rows of a running job's section, as ResultWriter stores it.
struct Chunk {
    int position = 0, number = 0;
    std::int64_t first_row = 0;
    int row_count = 0;
    std::string rows;  // JSON array of rows (codec)
};

// SQLSTATEs that mean the asyncpage schema is not there (run `asyncpage migrate`).
bool schema_missing(const pg::Outcome& outcome);

class Store {
  public:
    template <class... T>
    using Answer = std::function<void(pg::Outcome& outcome, T... value)>;

    Store(pg::Statements& meta, pg::Statements& results) : meta_(meta), results_(results) {}

    // The HTTP side. `owner` is REMOTE_USER, or NULL. `quota_key` names whose queued
    // jobs count against `max_queued` (the owner, or the client's address).
    void create(const std::string& report, const std::string& params_json, pg::Param owner,
                const std::string& quota_key, int max_queued, int max_attempts,
                Answer<const CreatedJob&> done);
    void read(const std::string& id, pg::Param owner, Answer<const std::optional<StoredJob>&> done);
    void cancel(const std::string& id, pg::Param owner,
                Answer<const std::optional<CancelledJob>&> done);
    // The job's JSON, whoever owns it (the hub reading a job back after a
    // notification: its watchers were owner-checked when they started); nullopt
    // when there is no such job.
    void read_job(const std::string& id, Answer<const std::optional<std::string>&> done);
    // The stored sections of the job's run in file order; an empty list when the
    // job never ran.
    void read_sections(const std::string& id, Answer<std::vector<StoredSectionHead>&> done);
    // The sections with at most `max_rows` rows each (the first ones), for HTML.
    void read_result_head(const std::string& id, std::int64_t max_rows,
                          Answer<std::vector<model::SectionResult>&> done);
    // The SQL and params that stream a result's chunks in order (position, chunk),
    // columns: position, rows; of one section when `position` is set.
    static std::pair<std::string, std::vector<pg::Param>> chunks_query(const std::string& id,
                                                                       std::optional<int> position);

    // The runner. A claim is a lease; `runner` in the calls below is the claim's
    // run id (ClaimedJob::run): a statement on a job that another run holds (or
    // that ended meanwhile) changes nothing.
    void claim(const Claimant& who, const std::string& report_names_json,
               Answer<const std::optional<ClaimedJob>&> done);
    void record_progress(const std::string& id, int pct, const std::string& message,
                         const std::string& runner, Answer<> done);
    // Stores one chunk of rows; `stored` is false when the job is no longer this
    // runner's (cancelled, reaped or claimed again): the run stops.
    void write_chunk(const std::string& id, const std::string& runner, const Chunk& chunk,
                     Answer<bool> stored);
    // The sections (their rows are already in chunks; `sections_json` from
    // codec's encode_results) and the final state in one statement; `changed` is
    // false when the job was no longer ours and running (cancelled or reaped
    // meanwhile).
    void finish(const std::string& id, const std::string& sections_json, const std::string& runner,
                const std::string& state, const std::string& sqlstate, const std::string& message,
                Answer<bool> done);
    // When finish() itself failed: the job ends failed without its result, so that
    // it never stays running.
    void fail_unstored(const std::string& id, const std::string& runner,
                       const std::string& sqlstate, const std::string& message, Answer<> done);
    void requeue(const std::string& id, const std::string& runner, Answer<> done);
    // The run lost its database session: asyncpage.lose_run queues the job again
    // or, after its last attempt, fails it saying `why`; its state then ("" when
    // the job was no longer this run's).
    void lose(const std::string& id, const std::string& runner, const std::string& why,
              Answer<const std::string&> done);
    // Renews the leases of `runs` to now + `lease`; `renewed` holds the runs that
    // still had theirs (the others were lost: they must stop and write nothing).
    void heartbeat(const std::vector<std::string>& runs, Millis lease,
                   Answer<const std::set<std::string>&> renewed);
    // Runs whose lease expired lose their job (asyncpage.lose_run: queued again,
    // or failed after its last attempt); those this call changed.
    void expire(Answer<const std::vector<LostRun>&> done);
    // Deletes jobs that finished longer than `retention` ago; how many.
    void purge(Millis retention, Answer<int> done);

  private:
    pg::Statements& meta_;
    pg::Statements& results_;
};

}  // namespace asyncpage::jobs
