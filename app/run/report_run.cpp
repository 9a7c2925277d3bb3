// ReportRun: tasks, results and the deadline of one run of a report.
#include "run/report_run.hpp"

#include "core/barrier.hpp"
#include "core/test_hooks.hpp"

namespace asyncpage::run {

using model::SectionStatus;

bool RunListener::on_rows(model::SectionResult& result, std::size_t, model::PgResultPtr rows) {
    if (single_row()) {
        result.table.append_rows(std::move(rows));
    } else {
        result.table.append(std::move(rows));
    }
    return true;
}

ReportRun::ReportRun(loop::EventLoop& loop, pg::Pool& pool,
                     std::shared_ptr<const reports::Report> report, RunListener& listener)
    : loop_(loop),
      pool_(pool),
      report_(std::move(report)),
      listener_(listener),
      started_(loop.now()) {
    const auto& sections = report_->sections;
    results_.resize(sections.size());
    for (std::size_t i = 0; i < sections.size(); ++i)
        results_[i].name = sections[i].name;
}

ReportRun::~ReportRun() {
    for (auto& t : tasks_)
        t->stop(SectionStatus::Cancelled, "worker shutting down");
    loop_.cancel_timer(deadline_);
}

double ReportRun::since_start() const {
    return ms_between(started_, loop_.now());
}

void ReportRun::start(reports::BoundValues values, Millis budget, std::optional<std::size_t> only) {
    values_ = std::move(values);
    value_ptrs_.reserve(values_.size());
    for (auto& v : values_)
        value_ptrs_.push_back(v ? v->c_str() : nullptr);  // nullptr = NULL
    if (only) {
        tasks_.push_back(std::make_unique<SectionTask>(*this, std::vector<std::size_t>{*only}));
    } else {
        tasks_ = make_tasks(*this, *report_);
    }
    tasks_running_ = tasks_.size();
    deadline_ = loop_.add_timer(budget, [this] {
        deadline_ = 0;
        on_deadline();
    });
    // Tasks may finish synchronously only on a broken send; start them all first.
    for (std::size_t i = 0; i < tasks_.size() && !stopped_; ++i)
        tasks_[i]->start();
}

void ReportRun::stop(SectionStatus unfinished, const std::string& message) {
    stopped_ = true;
    loop_.cancel_timer(deadline_);
    deadline_ = 0;
    for (auto& t : tasks_)
        t->stop(unfinished, message);
    tasks_running_ = 0;
}

// Every way the loop enters the listener's code goes through here: the
// connection's results (a SectionTask calling its host) and the deadline timer.
// Only the run's own request or job is ended; the task that called in carries on
// as after a stop().
template <class Body>
bool ReportRun::guarded(Body&& body) {
    return barrier(std::forward<Body>(body), [this](const char* what) {
        stop(SectionStatus::Cancelled, "internal error");
        listener_.on_exception(what);
    });
}

bool ReportRun::on_rows(std::size_t section, model::PgResultPtr rows) {
    bool more = false;
    guarded([&] {
        test_hooks::maybe_throw("rows", report_->name);
        more = listener_.on_rows(results_[section], section, std::move(rows));
    });
    return more;
}

void ReportRun::on_section_error(const std::string& sqlstate, const std::string& message) {
    guarded([&] { listener_.on_section_error(sqlstate, message); });
}

void ReportRun::on_notice(const PGresult* notice) {
    guarded([&] { listener_.on_notice(notice); });
}

void ReportRun::on_task_done() {
    if (tasks_running_ > 0) --tasks_running_;
    if (tasks_running_ == 0 && !stopped_) {
        stopped_ = true;
        loop_.cancel_timer(deadline_);
        deadline_ = 0;
        guarded([&] { listener_.on_finished(); });
    }
}

// Where a page's `timeout:` and a job's job_timeout end the run.
void ReportRun::on_deadline() {
    if (stopped_) return;
    guarded([&] {
        std::string message = listener_.timeout_message();
        stop(SectionStatus::Timeout, message);
        listener_.on_deadline(message);
    });
}

void ReportRun::pause_reading() {
    for (auto& t : tasks_)
        if (!t->finished()) t->pause_reading();
}

void ReportRun::resume_reading() {
    for (auto& t : tasks_)
        if (!t->finished()) t->resume_reading();
}

}  // namespace asyncpage::run
