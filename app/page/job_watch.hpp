#pragma once
// The requests JobRoutes answers later: a Held request (counted as pending while
// it lives) and a Watch, the long poll or event stream on one job that the hub
// wakes on every change of it.
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "page/job_routes.hpp"

namespace asyncpage::page {

class JobRoutes::Held {
  public:
    Held(JobRoutes& routes, std::unique_ptr<fcgi::Request> request, http::Format format)
        : routes(routes), request(std::move(request)), format(format) {
        ++routes.in_flight_;
    }
    ~Held() { --routes.in_flight_; }
    JobRoutes& routes;
    std::unique_ptr<fcgi::Request> request;
    http::Format format;
};

// Lives in JobRoutes until end(), which finishes its request and hands it to
// loop.close_later (the hub may be delivering to it on the stack).
class JobRoutes::Watch final : public jobs::Watcher {
  public:
    enum class Kind { LongPoll, Stream };
    Watch(JobRoutes& routes, HeldPtr held, std::string id, Kind kind, std::int64_t since);
    ~Watch() override;

    Kind kind() const { return kind_; }
    // Long poll: answered with the last known state after `timeout`.
    void start(Millis timeout);
    // Reads the job now (at start and after a hub resync).
    void refresh();
    bool on_job_change(const jobs::JobEvent& ev, const std::string& json) override;
    // Event streams: a comment line, so proxies keep the connection open.
    void heartbeat();
    // Drain: answer what we know / end the stream.
    void drain();
    void end();

  private:
    // The watch's exception barrier (core/barrier.hpp): every way in from the loop
    // (its timer, the hub, the job reads, the hangup handler) runs through it.
    template <class Body>
    void guarded(Body&& body);
    void on_exception(const char* what);
    void apply(const jobs::JobEvent& ev, const std::string& json);
    void send_event();
    void answer(const std::string& json);
    void answer_error(int status, std::string_view message, std::string_view extra = {});

    JobRoutes& routes_;
    HeldPtr held_;
    Kind kind_;
    std::int64_t since_;
    loop::TimerId timer_ = 0;
    std::string last_json_;
    std::string last_state_;
    std::int64_t last_version_ = 0;
    bool ended_ = false;
    // Until the first read (which checks the job's owner) has answered, the hub's
    // notifications are held, not delivered: another user's watch must not
    // answer from them. Only the newest is kept; it is applied after that read.
    bool owner_checked_ = false;
    std::optional<std::pair<jobs::JobEvent, std::string>> held_event_;
    // Event streams: the newest event not yet written (state, json). While the
    // reader is slow (the request is congested) only the newest is kept and it is
    // written once the output drained.
    std::optional<std::pair<std::string, std::string>> unsent_;
    bool waiting_drain_ = false;
};

}  // namespace asyncpage::page
