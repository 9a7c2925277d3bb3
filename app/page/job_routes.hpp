#pragma once
// The HTTP side of background jobs (docs/ARCHITECTURE.md): creating a job, the wait
// screen and job JSON, long polls and event streams (JobRoutes::Watch, held in the
// loop as hub watchers at no thread cost), results, and cancelling. Job state is
// read from and written to PostgreSQL through the job Store, so any worker answers
// for any job.
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "config/config.hpp"
#include "fcgi/request.hpp"
#include "jobs/hub.hpp"
#include "jobs/store.hpp"
#include "reports/report.hpp"

namespace asyncpage::page {

class JobResultStream;

struct JobCounters {
    std::uint64_t created = 0, cancel_requests = 0;
};

class JobRoutes {
  public:
    using FindReport =
        std::function<std::shared_ptr<const reports::Report>(const std::string& name)>;
    // `results` is the pool stored results are streamed from (not the bookkeeping one).
    JobRoutes(loop::EventLoop& loop, jobs::Store& store, jobs::Hub& hub, pg::Pool& results,
              FindReport find);
    ~JobRoutes();

    // POST /reports/NAME/jobs
    void create(std::unique_ptr<fcgi::Request> request,
                std::shared_ptr<const reports::Report> report, http::Fields query,
                http::Format format);
    // /jobs/REST (REST is "ID", "ID/wait", ...).
    void handle(std::unique_ptr<fcgi::Request> request, const std::string& rest, http::Fields query,
                http::Format format);

    // Requests accepted and not yet answered (statements in flight, long polls,
    // event streams; each held once): counted in max_pending and waited for by a
    // draining worker.
    std::size_t pending() const { return in_flight_; }
    std::size_t long_polls() const;
    std::size_t streams() const;
    const JobCounters& counters() const { return counters_; }
    // Drain: long polls are answered now with the state they know, event streams
    // end (browsers reconnect to another worker).
    void drain();
    // The hub reconnected: re-read every watched job, since notifications were lost.
    void resync();
    // job_max_queued: queued jobs one owner (or client address) may have.
    void set_max_queued(int n) { max_queued_ = n; }
    // job_retries: runs after the first when a job's run is lost (a report's
    // `retries:` overrides it); fixed on the job when it is created.
    void set_retries(int n) { retries_ = n; }

    class Held;
    class Watch;

    // max_rows: rows of each section an HTML result shows; the whole section is
    // its CSV.
    void set_html_rows(int n) { html_rows_ = n; }

  private:
    friend class Held;
    friend class Watch;
    using HeldPtr = std::shared_ptr<Held>;
    HeldPtr hold(std::unique_ptr<fcgi::Request> request, http::Format format);
    // Reads the job visible to the request's user; `found` gets it, or 404 (or a
    // database error) was already answered and `answered` runs. Nothing runs when
    // the request was finished meanwhile.
    void read_job(const HeldPtr& held, const std::string& id,
                  std::function<void(const jobs::StoredJob& job)> found,
                  std::function<void()> answered = {});
    void show(const HeldPtr& held, const std::string& id);
    void wait(const HeldPtr& held, const std::string& id, const http::Fields& query);
    void events(const HeldPtr& held, const std::string& id);
    void result(const HeldPtr& held, const std::string& id, const http::Fields& query);
    void cancel(const HeldPtr& held, const std::string& id);
    void load_result(const HeldPtr& held, const std::string& id,
                     std::function<void(model::PageResult& page, bool any)> done);
    void stream_result(const HeldPtr& held, const model::JobView& job,
                       std::vector<jobs::StoredSectionHead> heads,
                       std::optional<std::size_t> section);
    // The barrier (core/barrier.hpp) around a store callback into `held`'s request:
    // an exception there ends that request (500, or closed once output started),
    // not the worker. `step` names the callback in the log (and for the test hook).
    template <class F>
    auto guarded(const HeldPtr& held, const char* step, F f);
    void on_exception(const HeldPtr& held, const char* step, const char* what);
    void fail(const HeldPtr& held, int status, std::string_view message,
              std::string_view extra = {});
    void db_error(const HeldPtr& held, const pg::Outcome& o, const char* what);
    void watch(std::unique_ptr<Watch> w, Millis timeout);
    void end_watch(Watch* w);
    void heartbeat();

    loop::EventLoop& loop_;
    jobs::Store& store_;
    jobs::Hub& hub_;
    pg::Pool& results_;
    FindReport find_;
    std::size_t in_flight_ = 0;
    std::unordered_map<Watch*, std::unique_ptr<Watch>> watchers_;
    std::unordered_map<JobResultStream*, std::unique_ptr<JobResultStream>> result_streams_;
    loop::TimerId heartbeat_timer_ = 0;
    JobCounters counters_;
    bool draining_ = false;
    int max_queued_ = 100;
    int retries_ = 2;
    std::int64_t html_rows_ = 10000;
};

}  // namespace asyncpage::page
