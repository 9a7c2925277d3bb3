// The per-worker connection pool: idle list, per-report shares with FIFO waiters,
// on-demand connects with backoff, and cancels through the Canceller threads.
#include "pg/pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace asyncpage::pg {

Pool::Pool(loop::EventLoop& loop, PoolOptions options)
    : loop_(loop),
      options_(std::move(options)),
      canceller_(loop, [this](std::uint64_t id) { on_cancel_sent(id); }) {
    if (options_.statement_timeout.count() > 0) {
        statement_timeout_option_ =
            "-c statement_timeout=" + std::to_string(options_.statement_timeout.count());
    }
}

Pool::~Pool() {
    loop_.cancel_timer(backoff_timer_);
    for (auto& [id, c] : conns_)
        c->close("pool shut down");
}

Share& Pool::share_for(const std::string& name, int concurrency) {
    auto [it, inserted] = shares_.try_emplace(name);
    Share& s = it->second;
    if (inserted) s.name = name;
    int cap = static_cast<int>(std::floor(options_.share * options_.size));
    if (concurrency > 0) cap = std::min(cap, concurrency);
    s.cap = std::max(cap, 1);
    return s;
}

void Pool::acquire(const std::string& name, int concurrency, ConnectionWaiter* waiter) {
    Share& s = share_for(name, concurrency);
    waiter->share_ = &s;
    waiter->seq_ = next_seq_++;
    waiter->pos_ = s.waiters.insert(s.waiters.end(), waiter);
    waiter->queued_ = true;
    ++waiting_;
    dispatch();
}

void Pool::forget(ConnectionWaiter* waiter) {
    if (!waiter->queued_) return;
    waiter->share_->waiters.erase(waiter->pos_);
    waiter->queued_ = false;
    --waiting_;
}

void Pool::dispatch() {
    // Re-entrancy: on_connection may release or acquire synchronously.
    if (dispatching_) {
        redispatch_ = true;
        return;
    }
    dispatching_ = true;
    do {
        redispatch_ = false;
        for (;;) {
            // The eligible share (under its cap, with waiters) whose head waited longest.
            Share* best = nullptr;
            int eligible = 0;
            for (auto& [name, s] : shares_) {
                if (s.waiters.empty() || s.in_use >= s.cap) continue;
                eligible += std::min<int>(static_cast<int>(s.waiters.size()), s.cap - s.in_use);
                if (!best || s.waiters.front()->seq_ < best->waiters.front()->seq_) best = &s;
            }
            if (!best) break;
            if (idle_.empty()) {
                int room = options_.size - static_cast<int>(conns_.size());
                int wanted = std::min(room, eligible - connecting_);
                for (int i = 0; i < wanted; ++i) {
                    if (failures_ > 0 && loop_.now() < next_connect_at_) break;
                    start_connect();
                    // After a failure, try one connect at a time until one succeeds.
                    if (failures_ > 0) break;
                }
                if (failures_ > 0 && connecting_ == 0 && backoff_timer_ == 0) {
                    backoff_timer_ = loop_.add_timer(next_connect_at_, [this] {
                        backoff_timer_ = 0;
                        dispatch();
                    });
                }
                break;
            }
            PgConnection* conn = idle_.back();
            idle_.pop_back();
            ConnectionWaiter* w = best->waiters.front();
            best->waiters.pop_front();
            w->queued_ = false;
            --waiting_;
            ++best->in_use;
            ++busy_;
            conn->owner = best;
            conn->assign();
            w->on_connection(*conn);
        }
    } while (redispatch_);
    dispatching_ = false;
}

void Pool::start_connect() {
    std::uint64_t id = next_id_++;
    auto conn = std::make_unique<PgConnection>(loop_, *this, id);
    PgConnection* raw = conn.get();
    conns_.emplace(id, std::move(conn));
    ++connecting_;
    ++connects_;
    // fallback_application_name lets a dsn's own application_name win.
    const char* keywords[] = {"fallback_application_name", "options", "dbname", nullptr};
    const char* values[] = {"asyncpage", statement_timeout_option_.c_str(), options_.dsn.c_str(),
                            nullptr};
    if (statement_timeout_option_.empty()) {
        keywords[1] = "dbname";
        values[1] = options_.dsn.c_str();
        keywords[2] = nullptr;
        values[2] = nullptr;
    }
    raw->connect(keywords, values, options_.connect_timeout);
}

void Pool::on_connected(PgConnection& conn) {
    --connecting_;
    failures_ = 0;
    idle_.push_back(&conn);
    dispatch();
}

void Pool::release(PgConnection& conn) {
    if (conn.state() == PgConnState::Broken) return;
    auto* s = static_cast<Share*>(conn.owner);
    if (s) --s->in_use;
    conn.owner = nullptr;
    --busy_;
    conn.make_idle();
    idle_.push_back(&conn);
    dispatch();
}

void Pool::cancel(PgConnection& conn) {
    if (conn.state() != PgConnState::Busy) return;
    if (conn.pipeline_left() > 1) {
        // Statements queue behind the running one: cancelled, it would make way
        // for them. The connection is closed first and the cancel sent after.
        // It counts (pool size, share) until then, as a cancelled query does
        // until it ends, so that a report timing out cannot pile up backends.
        PGcancel* c = conn.abandon();
        --busy_;
        ++cancels_;
        ++cancelling_;
        if (c) {
            canceller_.cancel(c, conn.id());
        } else {
            end_abandoned(conn);
        }
        return;
    }
    PGcancel* c = conn.start_cancel();
    if (!c) {  // nothing was running: plain release
        auto* s = static_cast<Share*>(conn.owner);
        if (s) --s->in_use;
        conn.owner = nullptr;
        --busy_;
        idle_.push_back(&conn);
        dispatch();
        return;
    }
    --busy_;
    ++cancelling_;
    ++cancels_;
    canceller_.cancel(c, conn.id());
}

void Pool::on_cancel_sent(std::uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    if (it->second->abandoned()) {
        end_abandoned(*it->second);
    } else {
        it->second->cancel_request_sent();
    }
}

void Pool::end_abandoned(PgConnection& conn) {
    if (auto* s = static_cast<Share*>(conn.owner)) --s->in_use;
    conn.owner = nullptr;
    --cancelling_;
    drop(conn);
}

void Pool::on_cancel_finished(PgConnection& conn) {
    // The share keeps counting a cancelling connection until here: a report whose
    // pages time out must not grow past its cap while its old queries wind down.
    auto* s = static_cast<Share*>(conn.owner);
    if (s) --s->in_use;
    conn.owner = nullptr;
    --cancelling_;
    conn.make_idle();
    idle_.push_back(&conn);
    dispatch();
}

void Pool::on_broken(PgConnection& conn, const std::string& why, PgConnState was) {
    ++broken_;
    if (was == PgConnState::Connecting) {
        --connecting_;
        ++failures_;
        // 100 ms, 200 ms, ... up to 5 s between attempts while PostgreSQL is away.
        auto backoff = Millis(std::min<long>(5000, 100L << std::min(failures_ - 1, 6)));
        next_connect_at_ = loop_.now() + backoff;
        spdlog::warn("pg connect failed ({} in a row, next try in {} ms): {}", failures_,
                     backoff.count(), why);
    } else {
        if (was == PgConnState::Idle) {
            auto it = std::find(idle_.begin(), idle_.end(), &conn);
            if (it != idle_.end()) idle_.erase(it);
        } else {
            if (auto* s = static_cast<Share*>(conn.owner)) --s->in_use;
            --(was == PgConnState::Cancelling ? cancelling_ : busy_);
        }
        spdlog::warn("pg connection {} (backend {}) lost: {}", conn.id(), conn.backend_pid(), why);
    }
    conn.owner = nullptr;
    drop(conn);
}

void Pool::drop(PgConnection& conn) {
    std::uint64_t id = conn.id();
    // Never free a connection inside its own callback: after this loop pass.
    loop_.defer([this, id] {
        conns_.erase(id);
        dispatch();
    });
}

PoolStats Pool::stats() const {
    PoolStats st;
    st.idle = static_cast<int>(idle_.size());
    st.busy = busy_;
    st.connecting = connecting_;
    st.cancelling = cancelling_;
    st.waiting = waiting_;
    st.cancels = cancels_;
    st.broken = broken_;
    st.connects = connects_;
    return st;
}

}  // namespace asyncpage::pg
