// Long polls and event streams on a job: answered from the hub's notifications,
// a fresh read, or a timer.
#include "page/job_watch.hpp"

#include <spdlog/spdlog.h>

#include "core/barrier.hpp"
#include "core/test_hooks.hpp"
#include "jobs/job.hpp"

namespace asyncpage::page {

namespace {
constexpr const char* kNoStore = "Cache-Control: no-store\r\n";
}  // namespace

JobRoutes::Watch::Watch(JobRoutes& routes, HeldPtr held, std::string id, Kind kind,
                        std::int64_t since)
    : Watcher(std::move(id)), routes_(routes), held_(std::move(held)), kind_(kind), since_(since) {}

JobRoutes::Watch::~Watch() {
    routes_.loop_.cancel_timer(timer_);
}

template <class Body>
void JobRoutes::Watch::guarded(Body&& body) {
    barrier(std::forward<Body>(body), [this](const char* what) { on_exception(what); });
}

// A long poll not answered yet gets a 500; an event stream (its headers are
// sent) is closed.
void JobRoutes::Watch::on_exception(const char* what) {
    spdlog::error("{} on job {} failed with an exception: {}",
                  kind_ == Kind::LongPoll ? "long poll" : "event stream", job_id(), what);
    if (ended_) return;
    if (kind_ == Kind::LongPoll && !held_->request->finished()) {
        answer_error(500, "internal error: the watch failed; see the server log");
    } else {
        end();
    }
}

void JobRoutes::Watch::start(Millis timeout) {
    guarded([&] {
        routes_.hub_.add(this);
        auto& req = *held_->request;
        req.watch_hangup([this] { guarded([this] { end(); }); });
        if (kind_ == Kind::LongPoll) {
            timer_ = routes_.loop_.add_timer(timeout, [this] {
                guarded([this] {
                    timer_ = 0;
                    if (last_json_.empty()) {
                        answer_error(504, "the job's state could not be read in time");
                    } else {
                        answer(last_json_);
                    }
                });
            });
        } else {
            req.write_headers(200, "text/event-stream; charset=utf-8",
                              "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\n");
            req.write(": asyncpage job events\n\n");
        }
        refresh();
    });
}

void JobRoutes::Watch::refresh() {
    // A watch ends only with its request finished, and read_job calls nothing back
    // for a finished request: `this` is alive whenever these run.
    routes_.read_job(
        held_, job_id(),
        [this](const jobs::StoredJob& job) {
            guarded([&] {
                if (ended_) return;
                owner_checked_ = true;
                auto ev = jobs::parse_job_event(job.json);
                if (ev) apply(*ev, job.json);
                if (held_event_ && !ended_) {
                    auto [held_ev, held_json] = std::move(*held_event_);
                    held_event_.reset();
                    apply(held_ev, held_json);
                }
            });
        },
        [this] { guarded([this] { end(); }); });  // answered with an error (404, 503)
}

bool JobRoutes::Watch::on_job_change(const jobs::JobEvent& ev, const std::string& json) {
    if (ended_) return false;
    if (!owner_checked_) {
        guarded([&] {
            if (!held_event_ || ev.version > held_event_->first.version)
                held_event_.emplace(ev, json);
        });
        return !ended_;
    }
    guarded([&] { apply(ev, json); });
    return !ended_;
}

void JobRoutes::Watch::heartbeat() {
    if (ended_ || kind_ != Kind::Stream) return;
    guarded([this] {
        if (held_->request->congested()) return;  // the reader is behind anyway
        held_->request->write(": keepalive\n\n");
        if (!held_->request->ok()) end();
    });
}

void JobRoutes::Watch::drain() {
    if (ended_) return;
    if (kind_ == Kind::LongPoll && !last_json_.empty()) {
        answer(last_json_);
    } else if (kind_ == Kind::LongPoll) {
        answer_error(503, "server restarting; retry", "Retry-After: 1\r\n");
    } else {
        end();
    }
}

void JobRoutes::Watch::end() {
    if (ended_) return;
    ended_ = true;
    routes_.hub_.remove(this);
    held_->request->unwatch_hangup();
    routes_.loop_.cancel_timer(timer_);
    timer_ = 0;
    held_->request->finish();
    routes_.end_watch(this);  // last: it hands this watch to the loop to free
}

void JobRoutes::Watch::apply(const jobs::JobEvent& ev, const std::string& json) {
    test_hooks::maybe_throw("watch", job_id());
    if (kind_ == Kind::LongPoll) {
        last_json_ = json;
        if (ev.version > since_) answer(json);
        return;
    }
    if (ev.version <= last_version_) return;  // a stale read or a repeat
    last_version_ = ev.version;
    unsent_.emplace(ev.state, json);
    send_event();
}

void JobRoutes::Watch::send_event() {
    if (ended_ || !unsent_) return;
    auto& req = *held_->request;
    bool final = jobs::is_final_state(unsent_->first);
    if (req.congested() && !final) {
        // The reader stopped reading: keep only the newest event, send it once
        // the output drained (the last one, final, goes out regardless).
        if (!waiting_drain_) {
            waiting_drain_ = true;
            req.on_drained([this] {
                waiting_drain_ = false;
                send_event();
            });
        }
        return;
    }
    auto [state, json] = std::move(*unsent_);
    unsent_.reset();
    const char* type = (last_state_.empty() || state != last_state_) ? "state" : "progress";
    last_state_ = state;
    std::string out = "event: ";
    out += type;
    out += "\ndata: ";
    out += json;  // one line: PostgreSQL's json has no raw newlines
    out += "\n\n";
    req.write(out);
    if (!req.ok() || final) end();
}

void JobRoutes::Watch::answer(const std::string& json) {
    if (ended_) return;
    held_->request->respond(200, "application/json", json, kNoStore);
    end();
}

void JobRoutes::Watch::answer_error(int status, std::string_view message, std::string_view extra) {
    if (ended_) return;
    routes_.fail(held_, status, message, extra);
    end();
}

}  // namespace asyncpage::page
