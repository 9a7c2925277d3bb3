#pragma once
// A worker's LISTEN connection on the job-events channel: every change to any job
// (by any worker on any host) arrives here as a notification. A notification is only
// a hint (any role that can connect may NOTIFY the channel): the hub takes the job id
// from it, reads the job from its table (one read per job at a time, coalescing a
// burst), and hands that row's JSON to the watchers of that job (long polls, event
// streams) and to the job runner. Nothing of the payload but a well-formed id
// reaches anyone.
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
#include "jobs/store.hpp"
#include "pg/pool.hpp"

namespace asyncpage::jobs {

class Watcher {
  public:
    virtual ~Watcher() = default;
    // A change of the watched job; `json` is the job JSON of that version as read
    // from asyncpage.jobs (never a notification's payload). Returns
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
    Hub(loop::EventLoop& loop, std::string dsn, Store& store);
    ~Hub() override;

    void start();
    void add(Watcher* w);
    void remove(Watcher* w);
    std::size_t watchers() const { return count_; }
    // Every job read back after a notification, before the watchers (the runner:
    // cancels). Only jobs that have watchers or for which `wanted` is true are read.
    OnEvent on_any;
    std::function<bool(const std::string& id)> wanted;
    // A notification said a job was queued: a hint to claim (the claim itself reads
    // the queue, so a forged hint costs one claim that finds nothing).
    std::function<void()> on_queued;
    // After a reconnect (not the first connect): notifications may have been missed.
    std::function<void()> on_resync;
    bool listening() const { return listening_; }

    // A NOTIFY payload from the channel: validated, then the job is read back.
    void on_notification(std::string_view payload);
    // A job JSON read from asyncpage.jobs: to on_any and the job's watchers.
    void deliver(const std::string& json);

  private:
    void read_back(const std::string& id);
    void listen();
    void lost(const std::string& why);
    void on_connection(pg::PgConnection& conn) override;
    void on_result(pg::PgConnection& conn, model::PgResultPtr result) override;
    void on_query_end(pg::PgConnection& conn) override;
    void on_connection_lost(pg::PgConnection& conn, const std::string& why) override;

    loop::EventLoop& loop_;
    Store& store_;
    pg::Pool pool_;
    // Jobs being read back; true: another notification came meanwhile, read again.
    std::unordered_map<std::string, bool> reading_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for store callbacks
    std::uint64_t ignored_ = 0;
    std::unordered_map<std::string, std::vector<Watcher*>> watchers_;
    std::size_t count_ = 0;
    bool listening_ = false;
    bool ever_listened_ = false;
    bool listen_failed_ = false;
    int failures_ = 0;
    loop::TimerId retry_timer_ = 0;
};

}  // namespace asyncpage::jobs
