// Runner and Run: claiming, running and finishing background jobs in one worker.
#include "jobs/runner.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <random>

#include "render/json.hpp"
#include "reports/params.hpp"
#include "run/section_task.hpp"

namespace asyncpage::jobs {

using model::SectionStatus;

namespace {
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

std::string make_runner_id() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::random_device rd;
    return fmt::format("{} pid {} {:08x}", host, ::getpid(), rd());
}

std::string field(const PGresult* res, int code) {
    const char* v = PQresultErrorField(res, code);
    return v ? v : "";
}

void log_failure(const char* what, const pg::Outcome& o) {
    spdlog::warn("jobs: {} failed: {} (SQLSTATE {})", what, o.message, o.sqlstate);
}
}  // namespace

// One claimed job: its sections run as tasks on the runner's pool, under
// job_timeout; progress notices and the end are written through one queue, so a
// burst of notices becomes one UPDATE per round trip and the end comes last.
class Runner::Run final : public run::TaskHost {
  public:
    Run(Runner& runner, std::string id, std::shared_ptr<const reports::Report> report,
        http::Fields params)
        : runner_(runner),
          id_(std::move(id)),
          report_(std::move(report)),
          params_(std::move(params)) {}

    ~Run() override {
        for (auto& t : tasks_)
            t->stop(SectionStatus::Cancelled, "worker shutting down");
        runner_.loop_.cancel_timer(deadline_);
    }

    void start() {
        started_ = runner_.loop_.now();
        spdlog::info("job {} started: report {}", id_, report_->name);
        const auto& sections = report_->sections;
        results_.resize(sections.size());
        for (std::size_t i = 0; i < sections.size(); ++i)
            results_[i].name = sections[i].name;
        // Checked again: the report file may have changed since the job was queued.
        auto validated = reports::validate_params(*report_, params_);
        if (auto* perr = std::get_if<reports::ParamError>(&validated)) {
            for (auto& r : results_) {
                r.status = SectionStatus::Cancelled;
                r.message = "not run: invalid parameters";
            }
            end("failed", "22023", perr->message);
            return;
        }
        values_ = std::get<reports::BoundValues>(std::move(validated));
        for (auto& v : values_)
            value_ptrs_.push_back(v ? v->c_str() : nullptr);
        tasks_ = run::make_tasks(*this, *report_);
        tasks_running_ = tasks_.size();
        deadline_ = runner_.loop_.add_timer(runner_.options_.job_timeout, [this] {
            deadline_ = 0;
            auto secs = std::chrono::duration<double>(runner_.options_.job_timeout).count();
            stop_all(SectionStatus::Timeout,
                     fmt::format("did not finish within job_timeout ({:g} s)", secs));
            finish();
        });
        for (std::size_t i = 0; i < tasks_.size() && !ended_; ++i)
            tasks_[i]->start();
    }

    // The job was cancelled (or failed) elsewhere: stop the queries, keep what ran.
    void stop(const std::string& state) {
        if (ended_) return;
        spdlog::info("job {}: {} elsewhere, cancelling its queries", id_, state);
        stop_all(SectionStatus::Cancelled, "the job was " + state);
        finish();
    }

    // Drain: stop the queries and put the job back in the queue.
    void requeue() {
        if (ended_) return;
        requeue_ = true;
        stop_all(SectionStatus::Cancelled, "worker stopping");
        finish();
    }

    bool ended() const { return ended_; }

  private:
    // run::TaskHost
    loop::EventLoop& loop() override { return runner_.loop_; }
    pg::Pool& pool() override { return runner_.run_pool_; }
    const reports::Report& report() const override { return *report_; }
    const std::vector<const char*>& values() const override { return value_ptrs_; }
    model::SectionResult& result(std::size_t section) override { return results_[section]; }
    double since_start() const override { return ms_between(started_, runner_.loop_.now()); }

    void on_task_done() override {
        if (tasks_running_ > 0) --tasks_running_;
        if (tasks_running_ == 0) finish();
    }

    // asyncpage.progress(pct, message): SQLSTATE AP001, detail "asyncpage.progress N".
    void on_notice(const PGresult* notice) override {
        if (ended_ || field(notice, PG_DIAG_SQLSTATE) != "AP001") return;
        std::string detail = field(notice, PG_DIAG_MESSAGE_DETAIL);
        constexpr std::string_view prefix = "asyncpage.progress ";
        if (detail.rfind(prefix, 0) != 0) return;
        int pct = std::atoi(detail.c_str() + prefix.size());
        ++runner_.stats_.progress_notices;
        pending_progress_ = std::make_pair(pct, field(notice, PG_DIAG_MESSAGE_PRIMARY));
        write_next();
    }

    void stop_all(SectionStatus status, const std::string& message) {
        for (auto& t : tasks_)
            t->stop(status, message);
        tasks_running_ = 0;
    }

    void finish() {
        if (ended_) return;
        ended_ = true;
        runner_.loop_.cancel_timer(deadline_);
        deadline_ = 0;
        if (requeue_) {
            pending_progress_.reset();
            write_next();
            return;
        }
        const model::SectionResult* bad = nullptr;
        for (auto& r : results_) {
            if (r.status != SectionStatus::Ok) {
                bad = &r;
                break;
            }
        }
        if (!bad) {
            end("succeeded", {}, {});
        } else {
            std::string sqlstate = bad->status == SectionStatus::Timeout ? "57014" : bad->sqlstate;
            end("failed", sqlstate, "section " + bad->name + ": " + bad->message);
        }
    }

    void end(std::string state, std::string sqlstate, std::string message) {
        ended_ = true;
        final_ = Final{std::move(state), std::move(sqlstate), std::move(message)};
        write_next();
    }

    // One statement at a time: the newest progress first, then the end.
    void write_next() {
        if (writing_) return;
        auto& meta = runner_.meta_;
        if (pending_progress_) {
            auto [pct, msg] = std::move(*pending_progress_);
            pending_progress_.reset();
            writing_ = true;
            ++runner_.stats_.progress_writes;
            meta.run("jobs:progress", kProgressSql,
                     {id_, std::to_string(pct), msg, runner_.runner_id_}, [this](pg::Outcome& o) {
                         if (!o.ok) log_failure("recording progress", o);
                         writing_ = false;
                         write_next();
                     });
            return;
        }
        if (requeue_ && !end_sent_) {
            end_sent_ = true;
            writing_ = true;
            meta.run("jobs:finish", kRequeueSql, {id_, runner_.runner_id_}, [this](pg::Outcome& o) {
                if (!o.ok) log_failure("queueing a stopped job again", o);
                ++runner_.stats_.requeued;
                spdlog::info("job {} queued again (worker stopping)", id_);
                runner_.run_ended(this);
            });
            return;
        }
        if (final_ && !end_sent_) {
            end_sent_ = true;
            writing_ = true;
            Final f = *final_;
            meta.run("jobs:finish", kFinishSql,
                     {id_, results_json(), runner_.runner_id_, f.state,
                      f.sqlstate.empty() ? pg::Param() : pg::Param(f.sqlstate),
                      f.message.empty() ? pg::Param() : pg::Param(f.message)},
                     [this, f](pg::Outcome& o) {
                         if (!o.ok) {
                             log_failure("storing a job's result", o);
                         } else if (std::atoi(PQcmdTuples(o.result.get())) == 0) {
                             ++runner_.stats_.cancelled;  // cancelled (or reaped) meanwhile
                             spdlog::info("job {} ended after it was cancelled", id_);
                         } else {
                             if (f.state == "succeeded") ++runner_.stats_.succeeded;
                             if (f.state == "failed") ++runner_.stats_.failed;
                             spdlog::info("job {} {} in {:.0f} ms{}{}", id_, f.state, since_start(),
                                          f.message.empty() ? "" : ": ", f.message);
                         }
                         runner_.run_ended(this);
                     });
        }
    }

    // The sections as asyncpage.job_results rows, for jsonb_to_recordset.
    std::string results_json() const {
        std::string out = "[";
        for (std::size_t i = 0; i < results_.size(); ++i) {
            const auto& r = results_[i];
            if (i) out += ',';
            fmt::format_to(std::back_inserter(out), "{{\"position\":{},\"name\":", i);
            render::append_json_string(out, r.name);
            out += ",\"status\":\"";
            out += model::to_string(r.status);
            fmt::format_to(std::back_inserter(out), "\",\"elapsed_ms\":{:.3f},\"columns\":[",
                           r.elapsed_ms);
            const auto& t = r.table;
            bool rows = r.status == SectionStatus::Ok && !t.empty();
            for (std::size_t c = 0; rows && c < t.columns(); ++c) {
                out += c ? ",{\"name\":" : "{\"name\":";
                render::append_json_string(out, t.column_name(c));
                fmt::format_to(std::back_inserter(out), ",\"type\":{}}}", t.column_type(c));
            }
            out += "],\"rows\":[";
            for (std::size_t row = 0; rows && row < t.rows(); ++row) {
                out += row ? ",[" : "[";
                for (std::size_t c = 0; c < t.columns(); ++c) {
                    if (c) out += ',';
                    if (t.is_null(row, c)) {
                        out += "null";
                    } else {
                        render::append_json_string(out, t.value(row, c));
                    }
                }
                out += ']';
            }
            out += "],\"error_sqlstate\":";
            if (r.sqlstate.empty()) {
                out += "null";
            } else {
                render::append_json_string(out, r.sqlstate);
            }
            out += ",\"message\":";
            if (r.message.empty()) {
                out += "null";
            } else {
                render::append_json_string(out, r.message);
            }
            out += '}';
        }
        out += ']';
        return out;
    }

    struct Final {
        std::string state, sqlstate, message;
    };

    Runner& runner_;
    std::string id_;
    std::shared_ptr<const reports::Report> report_;
    http::Fields params_;
    reports::BoundValues values_;
    std::vector<const char*> value_ptrs_;
    std::vector<model::SectionResult> results_;
    std::vector<std::unique_ptr<run::SectionTask>> tasks_;
    std::size_t tasks_running_ = 0;
    TimePoint started_{};
    loop::TimerId deadline_ = 0;
    std::optional<std::pair<int, std::string>> pending_progress_;
    std::optional<Final> final_;
    bool writing_ = false;
    bool ended_ = false;
    bool end_sent_ = false;
    bool requeue_ = false;
};

Runner::Runner(loop::EventLoop& loop, pg::Pool& run_pool, pg::Statements& meta,
               const ReportMap& reports, RunnerOptions options)
    : loop_(loop),
      run_pool_(run_pool),
      meta_(meta),
      reports_(reports),
      options_(options),
      runner_id_(make_runner_id()) {
    nlohmann::json names = nlohmann::json::array();
    for (auto& [name, r] : reports_)
        names.push_back(name);
    report_names_json_ = names.dump();
}

Runner::~Runner() {
    loop_.cancel_timer(sweep_timer_);
    loop_.cancel_timer(purge_timer_);
}

void Runner::start() {
    sweep();
    purge_timer_ = loop_.add_timer(Millis(1000), [this] { purge(); });
}

void Runner::on_event(const JobEvent& event) {
    if (event.state == "queued") {
        claim();
        return;
    }
    if (is_final_state(event.state)) {
        auto it = runs_.find(event.id);
        if (it != runs_.end()) it->second->stop(event.state);
    }
}

void Runner::claim() {
    if (draining_) return;
    if (claiming_) {
        claim_again_ = true;  // a job may have been queued after our claim's snapshot
        return;
    }
    if (static_cast<int>(runs_.size()) >= options_.slots || reports_.empty()) return;
    claiming_ = true;
    claim_again_ = false;
    meta_.run("jobs:claim", kClaimSql, {runner_id_, report_names_json_}, [this](pg::Outcome& o) {
        claiming_ = false;
        if (!o.ok) {
            if (o.sqlstate == "42P01" || o.sqlstate == "3F000") {
                if (!schema_warned_)
                    spdlog::error(
                        "jobs: the asyncpage schema is missing in jobs_dsn: run "
                        "`asyncpage migrate --config FILE`");
                schema_warned_ = true;
            } else {
                log_failure("claiming a job", o);
            }
            return;  // the sweep tries again
        }
        if (o.rows() == 0) {
            if (claim_again_) claim();
            return;
        }
        started(o);
        claim();  // more may be waiting
    });
}

void Runner::started(const pg::Outcome& o) {
    std::string id = o.text(0, 0);
    std::string report = o.text(0, 1);
    http::Fields params;
    auto j = nlohmann::json::parse(o.text(0, 2), nullptr, false);
    if (j.is_object()) {
        for (auto& [k, v] : j.items())
            if (v.is_string()) params.emplace_back(k, v.get<std::string>());
    }
    ++stats_.claimed;
    auto it = reports_.find(report);  // the claim only takes jobs of known reports
    auto run = std::make_unique<Run>(*this, id, it->second, std::move(params));
    Run* raw = run.get();
    runs_[id] = std::move(run);
    raw->start();
}

void Runner::run_ended(Run* run) {
    // Called from the run's own callback: delete it after this loop pass.
    for (auto it = runs_.begin(); it != runs_.end(); ++it) {
        if (it->second.get() == run) {
            auto* owned = it->second.release();
            runs_.erase(it);
            loop_.defer([owned] { delete owned; });
            break;
        }
    }
    if (draining_) {
        check_drained();
    } else {
        claim();  // a slot is free
    }
}

void Runner::sweep() {
    sweep_timer_ = loop_.add_timer(options_.heartbeat, [this] { sweep(); });
    if (!runs_.empty()) {
        meta_.run("jobs:sweep", kHeartbeatSql, {runner_id_}, [](pg::Outcome& o) {
            if (!o.ok) log_failure("heartbeat", o);
        });
    }
    meta_.run("jobs:sweep", kReapSql, {interval(options_.stale_after)}, [](pg::Outcome& o) {
        if (!o.ok) {
            if (o.sqlstate != "42P01" && o.sqlstate != "3F000") log_failure("reaping jobs", o);
            return;
        }
        for (int i = 0; i < o.rows(); ++i)
            spdlog::warn("job {} failed: its worker stopped beating", o.text(i, 0));
    });
    claim();  // in case a notification was missed
}

void Runner::purge() {
    Millis every = std::clamp(options_.retention / 2, Millis(1000), Millis(60000));
    purge_timer_ = loop_.add_timer(every, [this] { purge(); });
    meta_.run("jobs:sweep", kPurgeSql, {interval(options_.retention)}, [](pg::Outcome& o) {
        if (!o.ok) {
            if (o.sqlstate != "42P01" && o.sqlstate != "3F000") log_failure("deleting old jobs", o);
            return;
        }
        int n = std::atoi(PQcmdTuples(o.result.get()));
        if (n > 0) spdlog::info("jobs: deleted {} finished jobs older than job_retention", n);
    });
}

void Runner::drain(std::function<void()> done) {
    draining_ = true;
    drained_ = std::move(done);
    loop_.cancel_timer(sweep_timer_);
    sweep_timer_ = 0;
    std::vector<Run*> runs;
    for (auto& [id, r] : runs_)
        runs.push_back(r.get());
    for (Run* r : runs)
        r->requeue();
    check_drained();
}

void Runner::check_drained() {
    if (draining_ && runs_.empty() && drained_) {
        auto done = std::move(drained_);
        drained_ = nullptr;
        done();
    }
}

}  // namespace asyncpage::jobs
