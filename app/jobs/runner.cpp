// Runner and Run: claiming, running and finishing background jobs in one worker.
#include "jobs/runner.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/units.hpp"
#include "model/pg_error.hpp"
#include "reports/params.hpp"
#include "run/report_run.hpp"

namespace asyncpage::jobs {

using model::SectionStatus;

namespace {
Claimant make_claimant(Millis lease) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    Claimant c;
    c.host = host;
    c.pid = static_cast<int>(::getpid());
    c.runner = fmt::format("{} pid {}", c.host, c.pid);
    c.lease = lease;
    return c;
}

void log_failure(const char* what, const pg::Outcome& o) {
    spdlog::warn("jobs: {} failed: {} (SQLSTATE {})", what, o.message, o.sqlstate);
}
}  // namespace

// One claimed job: its sections run in a run::ReportRun on the runner's pool,
// under job_timeout, in single-row mode: rows go to the ResultWriter as they
// come. Progress notices and the end are written through one queue, so a burst of
// notices becomes one UPDATE per round trip, and the end comes last, once every
// chunk of rows was stored.
class Runner::Run final : public run::RunListener {
  public:
    Run(Runner& runner, const ClaimedJob& job, std::shared_ptr<const reports::Report> report)
        : runner_(runner),
          id_(job.id),
          run_id_(job.run),
          attempt_(job.attempt),
          max_attempts_(job.max_attempts),
          report_(std::move(report)),
          params_(job.params),
          run_(runner.loop_, runner.run_pool_, report_, *this),
          writer_(runner.store_, id_, run_id_, report_->sections.size(), runner.options_.results) {
        writer_.on_backpressure = [this](bool pause) {
            if (pause)
                run_.pause_reading();
            else
                run_.resume_reading();
        };
        writer_.on_failure = [this](const WriteFailure& f) { write_failed(f); };
    }

    void start() {
        spdlog::info("job {} started: report {}, attempt {} of {}", id_, report_->name, attempt_,
                     max_attempts_);
        // Checked again: the report file may have changed since the job was queued.
        auto validated = reports::validate_params(*report_, params_);
        if (auto* perr = std::get_if<reports::ParamError>(&validated)) {
            for (auto& r : run_.results()) {
                r.status = SectionStatus::Cancelled;
                r.message = "not run: invalid parameters";
            }
            end("failed", std::string(model::sqlstate::kInvalidParameterValue), perr->message);
            return;
        }
        run_.start(std::get<reports::BoundValues>(std::move(validated)),
                   runner_.options_.job_timeout);
    }

    // The job was cancelled (or failed) elsewhere: stop the queries, keep what ran.
    void stop(const std::string& state) {
        if (ended_) return;
        spdlog::info("job {}: {} elsewhere, cancelling its queries", id_, state);
        run_.stop(SectionStatus::Cancelled, "the job was " + state);
        finish();
    }

    // Drain: stop the queries and put the job back in the queue.
    void requeue() {
        if (ended_) return;
        requeue_ = true;
        run_.stop(SectionStatus::Cancelled, "worker stopping");
        finish();
    }

    // The run lost its lease (the heartbeat did not renew it, or a chunk found the
    // job taken): another run may hold the job now, so this one stops its queries
    // and writes nothing more, not even its end.
    void abandon(const std::string& why) {
        if (abandoned_ || end_sent_) return;
        spdlog::warn("job {}: attempt {} lost its lease ({}); stopping without writing", id_,
                     attempt_, why);
        ++runner_.stats_.leases_lost;
        abandoned_ = true;
        pending_progress_.reset();
        if (!ended_) {
            ended_ = true;
            run_.stop(SectionStatus::Cancelled, "the job's lease was lost");
            wait_for_rows(false);
        }
        write_next();
    }

    bool ended() const { return ended_; }
    // Still expects its lease to be renewed: not ending, nor given up.
    bool holds_lease() const { return !end_sent_ && !abandoned_; }
    const std::string& run_id() const { return run_id_; }

  private:
    // run::RunListener
    bool single_row() const override { return true; }
    bool on_rows(model::SectionResult&, std::size_t section, model::PgResultPtr rows) override {
        if (ended_) return false;
        return writer_.add(section, rows.get()) && !ended_;
    }
    // Over job_max_result or a chunk that could not be stored: the run stops and
    // the end says why. A chunk that found the job taken: the run lost its lease
    // and writes nothing more.
    void write_failed(const WriteFailure& f) {
        if (ended_) return;  // finishing already: the end reads writer_.failure()
        if (f.lost_job) {
            abandon("a chunk of rows found the job no longer this run's");
            return;
        }
        spdlog::warn("job {}: {}", id_, f.message);
        run_.stop(SectionStatus::Cancelled, f.message);
        end("failed", f.sqlstate, f.message);
    }
    void on_finished() override { finish(); }
    std::string timeout_message() const override {
        return fmt::format("did not finish within job_timeout ({} s)",
                           format_seconds(runner_.options_.job_timeout));
    }
    void on_deadline(const std::string&) override { finish(); }
    // The run's barrier caught an exception in this job's code: the job ends
    // failed (SQLSTATE XX000, internal_error) unless its end is already on its way.
    void on_exception(const char* what) override {
        spdlog::error("job {} (report {}) failed with an exception: {}", id_, report_->name, what);
        if (end_sent_) return;
        requeue_ = false;
        end("failed", "XX000", std::string("internal error: ") + what);
    }

    // asyncpage.progress(pct, message): SQLSTATE AP001, detail "asyncpage.progress N".
    void on_notice(const PGresult* notice) override {
        if (ended_ ||
            model::error_field(notice, PG_DIAG_SQLSTATE) != model::sqlstate::kAsyncpageProgress)
            return;
        std::string detail = model::error_field(notice, PG_DIAG_MESSAGE_DETAIL);
        constexpr std::string_view prefix = "asyncpage.progress ";
        if (detail.rfind(prefix, 0) != 0) return;
        int pct = std::atoi(detail.c_str() + prefix.size());
        ++runner_.stats_.progress_notices;
        pending_progress_ =
            std::make_pair(pct, model::error_field(notice, PG_DIAG_MESSAGE_PRIMARY));
        write_next();
    }

    void finish() {
        if (ended_) return;
        ended_ = true;
        if (requeue_) {
            pending_progress_.reset();
            wait_for_rows(false);
            return;
        }
        const model::SectionResult* bad = nullptr;
        for (auto& r : run_.results()) {
            if (r.status != SectionStatus::Ok) {
                bad = &r;
                break;
            }
        }
        if (!bad) {
            end("succeeded", {}, {});
        } else if (bad->status == SectionStatus::Error &&
                   model::sqlstate::is_unavailable(bad->sqlstate)) {
            // The run's database session was lost (connection broken, server shut
            // down): not the query's fault, so the run is lost like one whose worker
            // died, and the job runs again while it has attempts left.
            lost_ =
                "its database session was lost (section " + bad->name + ": " + bad->message + ")";
            pending_progress_.reset();
            wait_for_rows(false);
        } else {
            std::string sqlstate = bad->status == SectionStatus::Timeout
                                       ? std::string(model::sqlstate::kQueryCanceled)
                                       : bad->sqlstate;
            end("failed", sqlstate, "section " + bad->name + ": " + bad->message);
        }
    }

    void end(std::string state, std::string sqlstate, std::string message) {
        ended_ = true;
        final_ = Final{std::move(state), std::move(sqlstate), std::move(message)};
        wait_for_rows(true);
    }

    // The end is written only once every chunk of rows was stored (or failed):
    // then the sections can say how many rows they have, and nothing of this run
    // is written after its end.
    void wait_for_rows(bool flush) {
        writer_.finish(flush, [this] {
            rows_stored_ = true;
            write_next();
        });
    }

    // One statement at a time: the newest progress first, then the end. This is
    // where a job's progress is recorded (coalesced: only the newest notice that
    // arrived while a write was in flight is written next).
    void write_next() {
        if (writing_) return;
        auto& store = runner_.store_;
        if (abandoned_) {
            // Nothing more is written; the run ends once no chunk is in flight.
            if (rows_stored_ && !end_sent_) {
                end_sent_ = true;
                runner_.run_ended(this);
            }
            return;
        }
        if (pending_progress_) {
            auto [pct, msg] = std::move(*pending_progress_);
            pending_progress_.reset();
            writing_ = true;
            ++runner_.stats_.progress_writes;
            store.record_progress(id_, pct, msg, run_id_, [this](pg::Outcome& o) {
                if (!o.ok) log_failure("recording progress", o);
                writing_ = false;
                write_next();
            });
            return;
        }
        if (!rows_stored_) return;
        if (lost_ && !end_sent_) {
            end_sent_ = true;
            writing_ = true;
            store.lose(id_, run_id_, *lost_, [this](pg::Outcome& o, const std::string& state) {
                if (!o.ok) {
                    // Its lease then expires, and any worker's sweep loses it.
                    log_failure("putting a job whose session was lost back in the queue", o);
                } else if (!state.empty()) {
                    if (state == "failed") ++runner_.stats_.failed;
                    spdlog::warn("job {}: attempt {} of {} lost: {}; {}", id_, attempt_,
                                 max_attempts_, *lost_,
                                 state == "queued" ? "queued again" : "failed");
                }
                runner_.run_ended(this);
            });
            return;
        }
        if (requeue_ && !end_sent_) {
            end_sent_ = true;
            writing_ = true;
            store.requeue(id_, run_id_, [this](pg::Outcome& o) {
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
            if (const auto& failure = writer_.failure(); failure && !failure->lost_job) {
                // A chunk failed (or the limit was passed) while the end was waited for.
                f = Final{"failed", failure->sqlstate, failure->message};
            }
            store.finish(id_, encode_results(run_.results(), writer_.shapes()), run_id_, f.state,
                         f.sqlstate, f.message, [this, f](pg::Outcome& o, bool changed) {
                             if (!o.ok) {
                                 log_failure("storing a job's result", o);
                                 fail_unstored(o);
                                 return;
                             } else if (!changed) {
                                 // Cancelled meanwhile, or its lease was taken.
                                 ++runner_.stats_.cancelled;
                                 spdlog::info(
                                     "job {} ended after it was cancelled or lost its "
                                     "lease: its end was not stored",
                                     id_);
                             } else {
                                 if (f.state == "succeeded") ++runner_.stats_.succeeded;
                                 if (f.state == "failed") ++runner_.stats_.failed;
                                 spdlog::info("job {} {} in {:.0f} ms{}{}", id_, f.state,
                                              run_.since_start(), f.message.empty() ? "" : ": ",
                                              f.message);
                             }
                             runner_.run_ended(this);
                         });
        }
    }

    // Storing the end failed (the database went away, or refused the sections):
    // the job still must not stay running. It ends failed without its result; if
    // even that cannot be written, the heartbeat stops with this run and any
    // worker's sweep finds its lease expired (then it runs again, or fails).
    void fail_unstored(const pg::Outcome& why) {
        std::string message = "could not store the job's result: " + why.message;
        runner_.store_.fail_unstored(
            id_, run_id_,
            why.sqlstate.empty() ? std::string(model::sqlstate::kConnectionFailure) : why.sqlstate,
            message, [this](pg::Outcome& o) {
                if (!o.ok) {
                    log_failure("failing a job whose result could not be stored", o);
                } else {
                    ++runner_.stats_.failed;
                }
                runner_.run_ended(this);
            });
    }

    struct Final {
        std::string state, sqlstate, message;
    };

    Runner& runner_;
    std::string id_;
    std::string run_id_;  // this claim's lease: every write is conditional on it
    int attempt_, max_attempts_;
    std::shared_ptr<const reports::Report> report_;
    http::Fields params_;
    run::ReportRun run_;
    ResultWriter writer_;
    std::optional<std::pair<int, std::string>> pending_progress_;
    std::optional<Final> final_;
    bool writing_ = false;
    bool ended_ = false;
    bool end_sent_ = false;
    bool requeue_ = false;
    bool abandoned_ = false;           // lost its lease: writes nothing more
    std::optional<std::string> lost_;  // its session was lost: why (asyncpage.lose_run)
    bool rows_stored_ = false;         // the writer has nothing in flight and takes no more
};

Runner::Runner(loop::EventLoop& loop, pg::Pool& run_pool, Store& store, const ReportMap& reports,
               RunnerOptions options)
    : loop_(loop),
      run_pool_(run_pool),
      store_(store),
      reports_(reports),
      options_(options),
      claimant_(make_claimant(options.lease)) {
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
    store_.claim(claimant_, report_names_json_,
                 [this](pg::Outcome& o, const std::optional<ClaimedJob>& job) {
                     claiming_ = false;
                     if (!o.ok) {
                         if (schema_missing(o)) {
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
                     if (!job) {
                         if (claim_again_) claim();
                         return;
                     }
                     started(*job);
                     claim();  // more may be waiting
                 });
}

void Runner::started(const ClaimedJob& job) {
    ++stats_.claimed;
    // A drain gives its attempt back: a later attempt means an earlier run was lost.
    if (job.attempt > 1) ++stats_.retries;
    auto it = reports_.find(job.report);  // the claim only takes jobs of known reports
    auto run = std::make_unique<Run>(*this, job, it->second);
    Run* raw = run.get();
    runs_[job.id] = std::move(run);
    raw->start();
}

void Runner::run_ended(Run* run) {
    // Called from the run's own callback: the loop frees it after this pass.
    for (auto it = runs_.begin(); it != runs_.end(); ++it) {
        if (it->second.get() == run) {
            loop_.close_later(std::move(it->second));
            runs_.erase(it);
            break;
        }
    }
    if (draining_) {
        check_drained();
    } else {
        claim();  // a slot is free
    }
}

// Every job_lease / 4: a lease survives three missed heartbeats (a slow round
// trip, a busy database) before it expires.
void Runner::sweep() {
    sweep_timer_ = loop_.add_timer(std::max(options_.lease / 4, Millis(50)), [this] { sweep(); });
    heartbeat();
    store_.expire([this](pg::Outcome& o, const std::vector<LostRun>& lost) {
        if (!o.ok) {
            if (!schema_missing(o)) log_failure("expiring leases", o);
            return;
        }
        for (auto& l : lost) {
            ++stats_.lease_expiries;
            spdlog::warn("job {}: its run's lease expired; the job is {} now", l.id,
                         l.state == "queued" ? "queued again" : "failed (no attempts left)");
        }
        if (!lost.empty()) claim();
    });
    claim();  // in case a notification was missed
}

// Renews the leases of the runs that hold one. A run whose lease was not renewed
// lost it (it expired while this worker was stopped or cut off, and another
// run may have the job now): it stops and writes nothing more.
void Runner::heartbeat() {
    std::vector<std::string> held;
    for (auto& [id, r] : runs_) {
        if (r->holds_lease()) held.push_back(r->run_id());
    }
    if (held.empty()) return;
    store_.heartbeat(
        held, options_.lease, [this, held](pg::Outcome& o, const std::set<std::string>& renewed) {
            if (!o.ok) {
                log_failure("heartbeat", o);
                return;
            }
            std::vector<Run*> lost;
            for (auto& [id, r] : runs_) {
                bool asked = std::find(held.begin(), held.end(), r->run_id()) != held.end();
                if (asked && r->holds_lease() && !renewed.count(r->run_id()))
                    lost.push_back(r.get());
            }
            for (Run* r : lost)
                r->abandon("the heartbeat found it gone");
        });
}

void Runner::purge() {
    Millis every = std::clamp(options_.retention / 2, Millis(1000), Millis(60000));
    purge_timer_ = loop_.add_timer(every, [this] { purge(); });
    store_.purge(options_.retention, [](pg::Outcome& o, int n) {
        if (!o.ok) {
            if (!schema_missing(o)) log_failure("deleting old jobs", o);
            return;
        }
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
