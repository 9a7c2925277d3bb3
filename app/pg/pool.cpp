// The per-worker connection pool: per-report shares with FIFO waiters, on-demand
// connects with backoff, cancels through the Canceller threads, and the one exit
// of a connection (discard). Which list a connection is on follows its state
// (PgConnection::change_state); the counts below are those lists' sizes.
#include "pg/pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "core/backoff.hpp"

namespace asyncpage::pg {

namespace {
// How long a server whose connection broke comes last in the host order.
constexpr Millis kHostDownFor{30000};
}  // namespace

Pool::Pool(loop::EventLoop& loop, PoolOptions options, ConnectionFactory factory)
    : loop_(loop),
      options_(std::move(options)),
      factory_(std::move(factory)),
      canceller_(loop, [this](std::uint64_t id) { on_cancel_sent(id); }),
      speeds_(options_.share_fast),
      host_order_(options_.dsn),
      rng_(std::random_device{}()) {
    if (!factory_) {
        factory_ = [](const ConnectionSetup& setup) {
            return std::make_unique<PgConnection>(setup);
        };
    }
    if (options_.statement_timeout.count() > 0 && !options_.transaction_pooler) {
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
    enqueue(name, concurrency, waiter, false);
}

void Pool::acquire_again(const std::string& name, int concurrency, ConnectionWaiter* waiter) {
    enqueue(name, concurrency, waiter, true);
}

void Pool::enqueue(const std::string& name, int concurrency, ConnectionWaiter* waiter, bool front) {
    Share& s = share_for(name, concurrency);
    waiter->share_ = &s;
    if (front && waiter->seq_ != 0) {  // keeps its first turn, ahead of its share
        waiter->pos_ = s.waiters.insert(s.waiters.begin(), waiter);
    } else {
        waiter->seq_ = next_seq_++;
        waiter->pos_ = s.waiters.insert(s.waiters.end(), waiter);
    }
    waiter->queued_ = true;
    dispatch();
}

void Pool::forget(ConnectionWaiter* waiter) {
    if (!waiter->queued_) return;
    waiter->share_->waiters.erase(waiter->pos_);
    waiter->queued_ = false;
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
                if (s.waiters.empty() || s.in_use() >= s.cap) continue;
                eligible += std::min<int>(static_cast<int>(s.waiters.size()), s.cap - s.in_use());
                if (!best || s.waiters.front()->seq_ < best->waiters.front()->seq_) best = &s;
            }
            if (!best) break;
            ConnectionWaiter* head = best->waiters.front();
            if (options_.share_connections && !head->shareable_.empty() &&
                speeds_.fast(head->shareable_)) {
                if (PgConnection* shared = shared_room()) {
                    best->waiters.pop_front();
                    head->queued_ = false;
                    if (shared->pipeline_left() > 0) ++shared_statements_;  // behind another
                    head->on_connection(*shared);
                    // A waiter that sent nothing leaves no empty pipeline behind.
                    if (shared->state() == PgConnState::Shared && shared->pipeline_left() == 0)
                        shared->make_idle();
                    continue;
                }
            }
            PgConnection* conn = lists_.idle.back();
            if (!conn) {
                int room = options_.size - static_cast<int>(conns_.size());
                int wanted = std::min(room, eligible - static_cast<int>(lists_.connecting.size()));
                for (int i = 0; i < wanted; ++i) {
                    if (failures_ > 0 && loop_.now() < next_connect_at_) break;
                    start_connect();
                    // After a failure, try one connect at a time until one succeeds.
                    if (failures_ > 0) break;
                }
                if (failures_ > 0 && lists_.connecting.empty() && backoff_timer_ == 0) {
                    backoff_timer_ = loop_.add_timer(next_connect_at_, [this] {
                        backoff_timer_ = 0;
                        dispatch();
                    });
                }
                break;
            }
            ConnectionWaiter* w = best->waiters.front();
            best->waiters.pop_front();
            w->queued_ = false;
            conn->assign(*best);
            w->on_connection(*conn);
        }
    } while (redispatch_);
    dispatching_ = false;
}

PgConnection* Pool::shared_room() {
    PgConnection* best = nullptr;
    lists_.shared.for_each([&](PgConnection& c) {
        if (c.pipeline_left() >= options_.share_depth) return;
        if (!c.taking_statements()) return;
        if (loop_.now() - c.head_since() > options_.share_fast) return;  // its head runs long
        if (!best || c.pipeline_left() < best->pipeline_left()) best = &c;
    });
    if (best) return best;
    if (PgConnection* idle = lists_.idle.back()) {
        idle->begin_sharing(options_.share_stall);
        return idle;
    }
    return nullptr;
}

void Pool::detach(PgConnection& conn, QueryObserver* observer) {
    if (conn.state() != PgConnState::Shared) return;
    bool head = conn.head_observer() == observer;
    conn.detach(observer);
    // One that has not started is read and discarded on arrival; the running
    // one is cancelled, so that the statements behind it need not wait for an
    // answer nobody reads.
    if (head) cancel_head(conn);
}

bool Pool::cancel_head(PgConnection& conn) {
    if (!conn.cancel_shared_head()) return false;  // nothing runs, or a cancel is under way
    ++cancels_;
    canceller_.cancel(conn.cancel_key(), conn.id());
    return true;
}

void Pool::on_statement_timed(const std::string& key, Clock::duration took) {
    if (options_.share_connections) speeds_.record(key, took);
}

void Pool::on_shared_progress(PgConnection&) {
    dispatch();
}

// The head of a shared connection ran past share_stall with other pages'
// statements behind it: it is cancelled, so that they run now, and run again
// on a connection of its own (docs/ARCHITECTURE.md, "Sharing a connection
// between pages").
void Pool::on_shared_stalled(PgConnection& conn) {
    spdlog::debug(
        "pg connection {} (backend {}): a shared statement ran {} ms with {} behind "
        "it: cancelled, to run again alone",
        conn.id(), conn.backend_pid(), options_.share_stall.count(), conn.pipeline_left() - 1);
    if (cancel_head(conn)) ++shared_requeues_;
}

void Pool::start_connect() {
    std::uint64_t id = next_id_++;
    auto conn = factory_(ConnectionSetup{loop_, *this, lists_, id});
    PgConnection* raw = conn.get();
    raw->set_named_statements(!options_.transaction_pooler);
    conns_.emplace(id, std::move(conn));
    ++connects_;
    // fallback_application_name and the options backstop come before dbname (the
    // expanded dsn), so that a dsn's own application_name or options win; the
    // host order of this connection comes after it, to override the dsn's
    // (libpq, PQconnectdbParams).
    std::vector<const char*> keywords = {"fallback_application_name"};
    std::vector<const char*> values = {"asyncpage"};
    if (!statement_timeout_option_.empty()) {
        keywords.push_back("options");
        values.push_back(statement_timeout_option_.c_str());
    }
    keywords.push_back("dbname");
    values.push_back(options_.dsn.c_str());
    std::vector<std::string> down;
    std::erase_if(down_, [&](const auto& d) { return d.second <= loop_.now(); });
    for (const auto& d : down_)
        down.push_back(d.first);
    const std::vector<std::pair<std::string, std::string>> hosts = host_order_.next(rng_, down);
    for (const auto& [k, v] : hosts) {
        keywords.push_back(k.c_str());
        values.push_back(v.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    raw->connect(keywords.data(), values.data(), options_.connect_timeout);
}

void Pool::on_connected(PgConnection&) {
    failures_ = 0;
    dispatch();
}

void Pool::release(PgConnection& conn) {
    if (conn.state() == PgConnState::Broken) return;
    conn.make_idle();
    dispatch();
}

void Pool::cancel(PgConnection& conn) {
    if (conn.state() != PgConnState::Busy) return;
    if (conn.pipeline_left() > 1) {
        // Statements queue behind the running one: cancelled, it would make way
        // for them. The connection is closed first and the cancel sent after.
        // It counts (pool size, share) until then, as a cancelled query does
        // until it ends, so that a report timing out cannot pile up backends.
        PGcancel* key = conn.cancel_key();
        conn.abandon();
        ++cancels_;
        canceller_.cancel(key, conn.id());
        return;
    }
    if (!conn.start_cancel()) {  // nothing was running: plain release
        release(conn);
        return;
    }
    ++cancels_;
    canceller_.cancel(conn.cancel_key(), conn.id());
}

void Pool::on_cancel_sent(std::uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    PgConnection& conn = *it->second;
    if (conn.abandoned()) {
        discard(conn, "abandoned pipeline's cancel sent");
    } else {
        conn.cancel_request_sent();
    }
}

void Pool::on_cancel_finished(PgConnection& conn) {
    // The share keeps holding a cancelling connection until here: a report whose
    // pages time out must not grow past its cap while its old queries wind down.
    conn.make_idle();
    dispatch();
}

void Pool::on_broken(PgConnection& conn, const std::string& why, PgConnState was) {
    ++broken_;
    if (was == PgConnState::Connecting) {
        ++failures_;
        Millis backoff = reconnect_backoff(failures_);
        next_connect_at_ = loop_.now() + backoff;
        spdlog::warn("pg connect failed ({} in a row, next try in {} ms): {}", failures_,
                     backoff.count(), why);
    } else {
        spdlog::warn("pg connection {} (backend {}) lost: {}", conn.id(), conn.backend_pid(), why);
        // With several hosts in dsn, its server goes to the end of the list for a
        // while: libpq would take it first again, and a pooler in front of a dead
        // server still accepts logins (pg/host_order.hpp).
        if (!conn.server().empty()) {
            std::erase_if(down_, [&](const auto& d) { return d.first == conn.server(); });
            down_.emplace_back(conn.server(), loop_.now() + kHostDownFor);
        }
    }
    discard(conn, why);
}

void Pool::discard(PgConnection& conn, const std::string& why) {
    conn.close(why);  // Broken: off every list
    auto node = conns_.extract(conn.id());
    if (node.empty()) return;  // already discarded
    // Its callback may be on the stack: freed at the end of this loop pass, and a
    // replacement is considered once the callbacks of this pass are over.
    loop_.close_later(std::move(node.mapped()));
    loop_.defer([this] { dispatch(); });
}

PoolStats Pool::stats() const {
    PoolStats st;
    st.idle = static_cast<int>(lists_.idle.size());
    st.busy = static_cast<int>(lists_.busy.size());
    st.connecting = static_cast<int>(lists_.connecting.size());
    st.cancelling = static_cast<int>(lists_.cancelling.size());
    st.shared = static_cast<int>(lists_.shared.size());
    st.shared_statements = shared_statements_;
    st.shared_requeues = shared_requeues_;
    for (const auto& [name, s] : shares_)
        st.waiting += static_cast<int>(s.waiters.size());
    st.cancels = cancels_;
    st.broken = broken_;
    st.connects = connects_;
    return st;
}

}  // namespace asyncpage::pg
