// Hub: one LISTEN connection per worker and the job watchers it wakes.
#include "jobs/hub.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "core/backoff.hpp"

namespace asyncpage::jobs {

namespace {
// A payload as one log line: control bytes (a newline would forge a log line) as '?'.
std::string printable(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

pg::PoolOptions listen_pool(std::string dsn) {
    pg::PoolOptions o;
    o.dsn = std::move(dsn);
    o.size = 1;
    o.share = 1.0;
    o.connect_timeout = Millis(5000);
    return o;
}
}  // namespace

Hub::Hub(loop::EventLoop& loop, std::string dsn, Store& store)
    : loop_(loop), store_(store), pool_(loop, listen_pool(std::move(dsn))) {}

Hub::~Hub() {
    loop_.cancel_timer(retry_timer_);
    pool_.forget(this);
}

void Hub::start() {
    listen();
}

// Waits for the connection; the pool connects, and retries with backoff while
// PostgreSQL is away.
void Hub::listen() {
    retry_timer_ = 0;
    pool_.acquire("listen", 1, this);
}

void Hub::on_connection(pg::PgConnection& conn) {
    conn.on_notify = [this](const PGnotify& n) {
        if (n.extra) on_notification(n.extra);
    };
    std::string sql = std::string("LISTEN ") + kChannel;
    if (!conn.send(sql, 0, nullptr, nullptr, false, this)) {
        lost("could not send LISTEN");
    }
}

void Hub::on_result(pg::PgConnection&, model::PgResultPtr result) {
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
        listen_failed_ = true;
        spdlog::error("job events: LISTEN failed: {}", PQresultErrorMessage(result.get()));
    }
}

void Hub::on_query_end(pg::PgConnection& conn) {
    // Kept: the socket stays watched, notifications arrive through on_notify.
    if (listen_failed_) {
        listen_failed_ = false;
        pool_.discard(conn, "LISTEN failed");
        lost("LISTEN failed");
        return;
    }
    listening_ = true;
    failures_ = 0;
    bool resync = ever_listened_;
    ever_listened_ = true;
    spdlog::debug("job events: listening on {}", kChannel);
    if (resync && on_resync) on_resync();
}

void Hub::on_connection_lost(pg::PgConnection&, const std::string& why) {
    lost(why);
}

// The held connection is gone (the pool frees it): listen again after a backoff.
void Hub::lost(const std::string& why) {
    if (retry_timer_) return;
    if (listening_ || failures_ == 0) spdlog::warn("job events: LISTEN connection lost: {}", why);
    listening_ = false;
    ++failures_;
    retry_timer_ = loop_.add_timer(reconnect_backoff(failures_), [this] { listen(); });
}

void Hub::add(Watcher* w) {
    watchers_[w->job_id()].push_back(w);
    ++count_;
}

void Hub::remove(Watcher* w) {
    auto it = watchers_.find(w->job_id());
    if (it == watchers_.end()) return;
    auto& list = it->second;
    auto pos = std::find(list.begin(), list.end(), w);
    if (pos == list.end()) return;
    list.erase(pos);
    --count_;
    if (list.empty()) watchers_.erase(it);
}

void Hub::on_notification(std::string_view payload) {
    auto hint = parse_job_hint(payload);
    if (!hint) {
        // Logged sparingly: whoever can NOTIFY can send many.
        if (ignored_++ % 1000 == 0)
            spdlog::warn("job events: ignoring a notification without a job id ({} so far): {}",
                         ignored_, printable(payload.substr(0, 200)));
        return;
    }
    if (hint->queued && on_queued) on_queued();
    if (watchers_.count(hint->id) || (wanted && wanted(hint->id))) read_back(hint->id);
}

void Hub::read_back(const std::string& id) {
    auto [it, fresh] = reading_.try_emplace(id, false);
    if (!fresh) {
        it->second = true;  // read again when the one in flight is back
        return;
    }
    std::weak_ptr<bool> alive = alive_;
    store_.read_job(id, [this, alive, id](pg::Outcome& o, const std::optional<std::string>& json) {
        if (alive.expired()) return;
        auto again = reading_.find(id);
        bool dirty = again != reading_.end() && again->second;
        reading_.erase(id);
        if (!o.ok) {
            spdlog::warn("job events: reading job {} back failed: {} (SQLSTATE {})", id, o.message,
                         o.sqlstate);
        } else if (json) {
            deliver(*json);
        }  // else deleted meanwhile (job_retention): nothing to tell
        if (dirty) read_back(id);
    });
}

void Hub::deliver(const std::string& json) {
    auto event = parse_job_event(json);
    if (!event) {
        spdlog::error("job events: a job read from asyncpage.jobs is not a job JSON: {:.200}",
                      json);
        return;
    }
    if (on_any) on_any(*event, json);
    auto it = watchers_.find(event->id);
    if (it == watchers_.end()) return;
    // Most watchers leave when woken (a long poll answers): detach the list, wake
    // each once, and put back those that keep watching (event streams).
    std::vector<Watcher*> woken = std::move(it->second);
    watchers_.erase(it);
    count_ -= woken.size();
    auto start = std::chrono::steady_clock::now();
    for (Watcher* w : woken) {
        if (w->on_job_change(*event, json)) add(w);
    }
    if (woken.size() >= 1000) {  // worth a line: the fan-out cost of a busy job
        spdlog::info(
            "job {} version {}: woke {} watchers in {:.1f} ms", event->id, event->version,
            woken.size(),
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
    }
}

}  // namespace asyncpage::jobs
