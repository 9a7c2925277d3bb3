#pragma once
// One connection's worth of a report run: a single section (parallel reports) or
// every section in file order on one connection (parallel: false), for a page
// pipelined: sent at once, each in its own implicit transaction. It waits for a
// pooled connection, runs its sections, and reports into its host, the
// run::ReportRun of a page or of a background job.
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "model/result.hpp"
#include "pg/pool.hpp"
#include "reports/report.hpp"

namespace asyncpage::run {

class TaskHost {
  public:
    virtual ~TaskHost() = default;
    virtual loop::EventLoop& loop() = 0;
    virtual pg::Pool& pool() = 0;
    virtual const reports::Report& report() const = 0;
    // Param values by param index (nullptr = NULL), for PQsendQueryParams.
    virtual const std::vector<const char*>& values() const = 0;
    virtual model::SectionResult& result(std::size_t section) = 0;
    virtual double since_start() const = 0;  // ms since the run began
    virtual bool single_row() const { return false; }
    // Rows a section may keep, in single-row mode; 0: every row. The row after
    // the last ends the section as complete but truncated, and stops its query.
    virtual std::size_t max_rows() const { return 0; }
    // Whether a task's sections may be sent to PostgreSQL together in pipeline
    // mode (pages; not single-row mode, nor jobs, whose statements run long).
    virtual bool pipelined() const { return false; }
    // Whether a task's last section may share a connection with other pages'
    // statements, when the pool knows it to be fast (HTML and JSON pages;
    // docs/ARCHITECTURE.md, "Sharing a connection between pages").
    virtual bool shares_connections() const { return false; }
    // A section's statement is run again (cancelled on a shared connection,
    // which rolled it back): the rows it delivered so far are dropped.
    virtual void clear_rows(std::size_t section) = 0;
    virtual void on_connection_acquired() {}
    virtual void on_query_started() {}
    virtual void on_query_stopped() {}
    // Rows of a section. Returns false when the host ended meanwhile (it must not
    // be touched again).
    virtual bool on_rows(std::size_t section, model::PgResultPtr rows) = 0;
    virtual void on_section_error(const std::string& sqlstate, const std::string& message) {
        (void)sqlstate;
        (void)message;
    }
    virtual void on_notice(const PGresult* notice) { (void)notice; }
    virtual void on_task_done() = 0;
};

class SectionTask final : public pg::ConnectionWaiter, public pg::QueryObserver {
  public:
    SectionTask(TaskHost& host, std::vector<std::size_t> sections)
        : host_(host), sections_(std::move(sections)) {}

    void start();
    // Ends whatever is unfinished: forget the wait or cancel the running query;
    // unfinished sections get `unfinished` and `message`.
    void stop(model::SectionStatus unfinished, const std::string& message);
    bool finished() const { return finished_; }
    // Output backpressure (a CSV export whose reader is slow): stop reading the
    // running query's rows, so that PostgreSQL waits; resume_reading() goes on.
    void pause_reading();
    void resume_reading();

  private:
    void on_connection(pg::PgConnection& conn) override;
    void on_result(pg::PgConnection& conn, model::PgResultPtr res) override;
    void on_query_end(pg::PgConnection& conn) override;
    void on_connection_lost(pg::PgConnection& conn, const std::string& why) override;
    void on_notice(pg::PgConnection& conn, const PGresult* notice) override;
    void on_requeue(pg::PgConnection& conn) override;
    void enqueue(bool again);
    std::string shareable_key();
    void run_shared();
    void run_next();
    void run_pipeline();
    void begin_section();
    void add_params(const reports::Section& section);
    void send_failed();
    void truncate();
    void fail_rest(const std::string& sqlstate, const std::string& message);
    void done();

    TaskHost& host_;
    std::vector<std::size_t> sections_;
    std::size_t next_ = 0;
    pg::PgConnection* conn_ = nullptr;
    std::vector<const char*> params_;
    std::vector<Oid> types_;
    std::size_t pipelined_ = 0;  // sections of the running pipeline not yet ended
    std::size_t rows_ = 0;       // rows of the running section handed to the host
    TimePoint waiting_since_{};
    TimePoint query_start_{};
    double wait_ms_ = 0;
    bool waiting_ = false;
    bool query_running_ = false;
    bool error_seen_ = false;
    // A recovery conflict cancelled the running section before any of its rows
    // reached the host: it runs once more, after the others (run_next).
    bool conflict_retry_ = false;
    bool conflict_retried_ = false;  // once per task
    bool shared_ = false;    // conn_ is Shared: our one statement is on it, nothing to release
    bool no_share_ = false;  // cancelled on a shared connection: on one of its own now
    bool finished_ = false;
};

// The tasks of a whole report: one per section when it is parallel, else one
// task running every section in file order on one connection.
std::vector<std::unique_ptr<SectionTask>> make_tasks(TaskHost& host, const reports::Report& report);

}  // namespace asyncpage::run
