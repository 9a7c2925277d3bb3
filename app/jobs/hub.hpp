#pragma once
// A worker's LISTEN connection on the job-events channel: every change to any job
// (by any worker on any host) arrives here as the job's JSON, and the hub hands it
// to the watchers of that job (long polls, event streams) and to the job runner.
// When the connection was lost, the hub reconnects and asks everyone to re-read
// what they watch, since notifications sent meanwhile are gone. The connection
// comes from a one-connection pool of the hub's own, so its states are kept as
// every pooled connection's are; the hub holds it for as long as it lives.
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "jobs/job.hpp"
#include "pg/pool.hpp"

namespace asyncpage::jobs {

class Watcher {
  public:
    virtual ~Watcher() = default;
    // A change of the watched job; `json` is the job JSON of that version. Returns
    // whether to keep watching. A watcher must outlive the current loop pass once
    // it was added (delete it deferred), since delivery walks a detached list.
    virtual bool on_job_change(const JobEvent& event, const std::string& json) = 0;
    const std::string& job_id() const { return job_id_; }

  protected:
    explicit Watcher(std::string job_id) : job_id_(std::move(job_id)) {}

  private:
    std::string job_id_;
};

class Hub final : public pg::ConnectionWaiter, public pg::QueryObserver {
  public:
    using OnEvent = std::function<void(const JobEvent& event, const std::string& json)>;
    Hub(loop::EventLoop& loop, std::string dsn);
    ~Hub() override;

    void start();
    void add(Watcher* w);
    void remove(Watcher* w);
    std::size_t watchers() const { return count_; }
    // Every event, before the watchers (the runner: new jobs, cancels).
    OnEvent on_any;
    // After a reconnect (not the first connect): notifications may have been missed.
    std::function<void()> on_resync;
    bool listening() const { return listening_; }

    // Delivers `json` as if it had been notified (a fresh read after a resync).
    void deliver(const std::string& json);

  private:
    void listen();
    void lost(const std::string& why);
    void on_connection(pg::PgConnection& conn) override;
    void on_result(pg::PgConnection& conn, model::PgResultPtr result) override;
    void on_query_end(pg::PgConnection& conn) override;
    void on_connection_lost(pg::PgConnection& conn, const std::string& why) override;

    loop::EventLoop& loop_;
    pg::Pool pool_;
    std::unordered_map<std::string, std::vector<Watcher*>> watchers_;
    std::size_t count_ = 0;
    bool listening_ = false;
    bool ever_listened_ = false;
    bool listen_failed_ = false;
    int failures_ = 0;
    loop::TimerId retry_timer_ = 0;
};

}  // namespace asyncpage::jobs
