#pragma once
// The job runner of one worker: claims queued jobs (FOR UPDATE SKIP LOCKED) up to
// job_slots at a time, woken by the hub's notifications and by a periodic sweep;
// runs each job's sections (a run::ReportRun) on its own pool without blocking the
// loop; records progress notices on the job (coalescing bursts); stores the rows
// as they arrive (ResultWriter) and then the sections and the final state, all
// through the job Store. A claim is a lease: the sweep (every job_lease / 4)
// renews the leases of its runs and stops a run that lost its lease (it writes
// nothing more), puts back in the queue (or fails, after their last attempt) any
// worker's jobs whose lease expired, and claims. Jobs older than job_retention
// are deleted.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "jobs/hub.hpp"
#include "jobs/result_writer.hpp"
#include "jobs/store.hpp"
#include "pg/pool.hpp"
#include "reports/report.hpp"

namespace asyncpage::jobs {

using ReportMap = std::map<std::string, std::shared_ptr<const reports::Report>>;

struct RunnerOptions {
    int slots = 4;
    Millis job_timeout{3600 * 1000};
    Millis retention{24 * 3600 * 1000};
    Millis lease{10000};   // job_lease: a claim's lease, renewed every lease / 4
    ResultLimits results;  // job_max_result, chunk sizes
};

struct JobStats {
    std::uint64_t claimed = 0, succeeded = 0, failed = 0, cancelled = 0, requeued = 0;
    std::uint64_t retries = 0;         // claims of a job whose earlier run was lost
    std::uint64_t lease_expiries = 0;  // any worker's runs this worker found expired
    std::uint64_t leases_lost = 0;     // runs of this worker that found their lease taken
    std::uint64_t progress_notices = 0, progress_writes = 0;
};

class Runner {
  public:
    Runner(loop::EventLoop& loop, pg::Pool& run_pool, Store& store, const ReportMap& reports,
           RunnerOptions options);
    ~Runner();

    void start();
    void on_event(const JobEvent& event);  // from the hub: new jobs, cancels
    // Graceful stop: no more claims; running jobs are cancelled and put back in the
    // queue for another worker (or the next start). `done` runs once that is stored.
    void drain(std::function<void()> done);
    std::size_t running() const { return runs_.size(); }
    bool runs(const std::string& id) const { return runs_.count(id) > 0; }
    const JobStats& stats() const { return stats_; }
    const std::string& runner_id() const { return claimant_.runner; }

    class Run;

  private:
    friend class Run;
    void claim();
    void sweep();
    void heartbeat();
    void purge();
    void started(const ClaimedJob& job);
    void run_ended(Run* run);
    void check_drained();

    loop::EventLoop& loop_;
    pg::Pool& run_pool_;
    Store& store_;
    const ReportMap& reports_;
    RunnerOptions options_;
    Claimant claimant_;
    std::string report_names_json_;
    std::unordered_map<std::string, std::unique_ptr<Run>> runs_;
    JobStats stats_;
    bool claiming_ = false;
    bool claim_again_ = false;
    bool draining_ = false;
    bool schema_warned_ = false;
    int requeues_in_flight_ = 0;
    std::function<void()> drained_;
    loop::TimerId sweep_timer_ = 0;
    loop::TimerId purge_timer_ = 0;
};

}  // namespace asyncpage::jobs
