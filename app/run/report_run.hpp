#pragma once
// One run of a report's sections, shared by a page and a background job: it makes
// the SectionTasks (one per section, or one for all when parallel: false), holds
// the sections' results and the bound param values, counts the tasks that are
// still running, and owns the deadline. When the deadline passes it stops every
// unfinished task (cancelled in PostgreSQL) with status Timeout before telling its
// listener. What to do with the results (answer a request, store a job) is the
// listener's.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/result.hpp"
#include "reports/params.hpp"
#include "reports/report.hpp"
#include "run/section_task.hpp"

namespace asyncpage::run {

// What the owner of a run hears. The defaults suit a run that keeps every row.
class RunListener {
  public:
    virtual ~RunListener() = default;
    virtual bool single_row() const { return false; }
    // Rows kept per section in single-row mode; 0 (the default, a job's): all.
    // Past it a section ends ok, truncated, its query stopped (SectionTask).
    virtual std::size_t max_rows() const { return 0; }
    virtual bool pipelined() const { return false; }
    virtual bool shares_connections() const { return false; }
    virtual void on_connection_acquired() {}
    virtual void on_query_started() {}
    virtual void on_query_stopped() {}
    // Rows of a section; the default keeps them in the section's table (copied
    // there in single-row mode: model::Table::append_rows).
    virtual bool on_rows(model::SectionResult& result, std::size_t section,
                         model::PgResultPtr rows);
    virtual void on_section_error(const std::string& sqlstate, const std::string& message) {
        (void)sqlstate;
        (void)message;
    }
    virtual void on_notice(const PGresult* notice) { (void)notice; }
    // What an unfinished section says when the deadline passed. Asked only then, so
    // that a page that finishes in time formats nothing.
    virtual std::string timeout_message() const = 0;
    // The deadline passed; every unfinished section is already stopped as Timeout
    // with `message`.
    virtual void on_deadline(const std::string& message) = 0;
    // Every task finished (not called after stop() or the deadline).
    virtual void on_finished() = 0;
    // An exception escaped one of the callbacks above (the run's barrier,
    // core/barrier.hpp): end the request or job this run belongs to, and log it
    // with its context. May come after the run was stopped, or in the middle of
    // the listener's own finish; `what` is the exception's text.
    virtual void on_exception(const char* what) = 0;
};

class ReportRun final : public TaskHost {
  public:
    ReportRun(loop::EventLoop& loop, pg::Pool& pool, std::shared_ptr<const reports::Report> report,
              RunListener& listener);
    // Unfinished tasks are cancelled ("worker shutting down").
    ~ReportRun() override;
    ReportRun(const ReportRun&) = delete;
    ReportRun& operator=(const ReportRun&) = delete;

    // Runs every section, or only `only` (a CSV export), within `budget`. When the
    // budget passes, unfinished sections end as Timeout with the listener's
    // timeout_message().
    void start(reports::BoundValues values, Millis budget,
               std::optional<std::size_t> only = std::nullopt);
    // Stops what is unfinished (waits forgotten, queries cancelled) and the deadline.
    void stop(model::SectionStatus unfinished, const std::string& message);
    // Output backpressure: every running query stops (or resumes) reading rows
    // (SectionTask::pause_reading). The deadline still runs.
    void pause_reading();
    void resume_reading();

    std::vector<model::SectionResult>& results() { return results_; }
    const std::vector<model::SectionResult>& results() const { return results_; }
    double since_start() const override;  // ms since the run was made

  private:
    // TaskHost
    loop::EventLoop& loop() override { return loop_; }
    pg::Pool& pool() override { return pool_; }
    const reports::Report& report() const override { return *report_; }
    const std::vector<const char*>& values() const override { return value_ptrs_; }
    model::SectionResult& result(std::size_t section) override { return results_[section]; }
    bool single_row() const override { return listener_.single_row(); }
    std::size_t max_rows() const override { return listener_.max_rows(); }
    bool pipelined() const override { return listener_.pipelined(); }
    bool shares_connections() const override { return listener_.shares_connections(); }
    void clear_rows(std::size_t section) override { results_[section].table = model::Table{}; }
    void on_connection_acquired() override { listener_.on_connection_acquired(); }
    void on_query_started() override { listener_.on_query_started(); }
    void on_query_stopped() override { listener_.on_query_stopped(); }
    // The listener's callbacks that carry results, and where they may throw
    // (rendering, keeping rows), pass the run's barrier (guarded).
    bool on_rows(std::size_t section, model::PgResultPtr rows) override;
    void on_section_error(const std::string& sqlstate, const std::string& message) override;
    void on_notice(const PGresult* notice) override;
    void on_task_done() override;
    void on_deadline();
    // The run's exception barrier: body's exception goes to listener_.on_exception.
    template <class Body>
    bool guarded(Body&& body);

    loop::EventLoop& loop_;
    pg::Pool& pool_;
    std::shared_ptr<const reports::Report> report_;
    RunListener& listener_;
    TimePoint started_;
    reports::BoundValues values_;
    std::vector<const char*> value_ptrs_;  // for PQsendQueryParams, by param index
    std::vector<model::SectionResult> results_;
    std::vector<std::unique_ptr<SectionTask>> tasks_;
    std::size_t tasks_running_ = 0;
    loop::TimerId deadline_ = 0;
    bool stopped_ = false;
};

}  // namespace asyncpage::run
