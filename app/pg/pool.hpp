#pragma once
// A worker's pool of PostgreSQL connections, shared fairly between reports: each
// report (a "share") may hold at most `cap` connections at once, and waiters queue
// per share so that a hammered slow report cannot take every connection while a
// trivial page waits behind it. Connections are opened on demand up to `size`, and
// a broken one is dropped and replaced with backoff. Connections move between
// the pool's per-state lists only through PgConnection::change_state.
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "loop/event_loop.hpp"
#include "pg/canceller.hpp"
#include "pg/connection.hpp"
#include "pg/host_order.hpp"
#include "pg/statement_speeds.hpp"

namespace asyncpage::pg {

class Pool;

// Something waiting for a connection (a page's task). Registered with
// Pool::acquire; Pool::forget removes it (deadline passed, client left).
class ConnectionWaiter {
  public:
    virtual ~ConnectionWaiter() = default;
    // `conn` is Busy and the waiter's alone, or Shared: then the waiter appends
    // its one statement with send_shared(…, *share(), …) before returning.
    virtual void on_connection(PgConnection& conn) = 0;
    // Before Pool::acquire: the waiter will run one statement (statement_key),
    // which may share a connection if the pool knows it to be fast; empty: not.
    void set_shareable(std::string key) { shareable_ = std::move(key); }
    Share* share() const { return share_; }
    const std::string& shareable() const { return shareable_; }

  private:
    friend class Pool;
    std::string shareable_;
    Share* share_ = nullptr;
    std::list<ConnectionWaiter*>::iterator pos_;
    std::uint64_t seq_ = 0;
    bool queued_ = false;
};

struct PoolOptions {
    std::string dsn;
    int size = 16;
    double share = 0.5;  // fraction of `size` one share may hold
    Millis connect_timeout{5000};
    Millis statement_timeout{0};  // backstop sent as a startup option; 0: none
    // A transaction pooler (PgBouncer, pool_mode = transaction) sits in front: no
    // startup option (PgBouncer 1.18 refuses `options`, so statement_timeout is
    // then the role's) and no named statements (docs/ARCHITECTURE.md, "libpq").
    bool transaction_pooler = false;
    // Fast statements of several pages may share a connection in pipeline mode
    // (docs/ARCHITECTURE.md, "Sharing a connection between pages").
    bool share_connections = false;
    Millis share_fast{5};    // p99 of a fast statement; no statement is added behind an older head
    Millis share_stall{50};  // a head this old with statements behind: cancelled, run again alone
    std::size_t share_depth = 8;  // statements at most on one shared connection
};

// Makes the pool's connections: libpq ones by default, fakes in unit tests.
using ConnectionFactory = std::function<std::unique_ptr<PgConnection>(const ConnectionSetup&)>;

struct PoolStats {
    int idle = 0, busy = 0, connecting = 0, cancelling = 0, shared = 0, waiting = 0;
    std::uint64_t cancels = 0, broken = 0, connects = 0;
    std::uint64_t shared_statements = 0, shared_requeues = 0;
};

class Pool : public ConnectionEvents {
  public:
    Pool(loop::EventLoop& loop, PoolOptions options, ConnectionFactory factory = {});
    ~Pool() override;

    // Queues `waiter` on share `name`, capped at min(concurrency (if > 0),
    // share * size, at least 1). on_connection may run before this returns.
    void acquire(const std::string& name, int concurrency, ConnectionWaiter* waiter);
    // As acquire, at the front of its share's queue: a statement cancelled on a
    // shared connection (QueryObserver::on_requeue) keeps its turn.
    void acquire_again(const std::string& name, int concurrency, ConnectionWaiter* waiter);
    void forget(ConnectionWaiter* waiter);
    // The observer of a statement on a Shared connection leaves it (deadline,
    // client gone, max_rows): its answer is discarded on arrival; the statement
    // is cancelled only when nothing else is left on the connection.
    void detach(PgConnection& conn, QueryObserver* observer);
    // The holder is done with conn (its query ended): back to idle.
    void release(PgConnection& conn);
    // The holder gives up conn while a query runs: cancel it in PostgreSQL; conn
    // rejoins the pool only once the query has ended and the cancel request was
    // sent, or a late cancel could hit the next query (libpq, Canceling Queries
    // in Progress). A connection with pipelined statements still queued is
    // closed instead (PgConnection::abandon).
    void cancel(PgConnection& conn);
    // The holder gives up conn for good (its session is in a state no one else
    // may inherit): it is closed and replaced. The one way a connection leaves
    // the pool.
    void discard(PgConnection& conn, const std::string& why);

    PoolStats stats() const;
    int size() const { return options_.size; }
    bool shares_connections() const { return options_.share_connections; }

  private:
    void on_connected(PgConnection& conn) override;
    void on_cancel_finished(PgConnection& conn) override;
    void on_broken(PgConnection& conn, const std::string& why, PgConnState was) override;
    void on_statement_timed(const std::string& key, Clock::duration took) override;
    void on_shared_progress(PgConnection& conn) override;
    void on_shared_stalled(PgConnection& conn) override;
    // Cancels the running statement of a Shared connection in place; false when
    // there was none to cancel or a cancel is already under way.
    bool cancel_head(PgConnection& conn);
    void enqueue(const std::string& name, int concurrency, ConnectionWaiter* waiter, bool front);
    // A Shared connection that may take one more statement, or an Idle one made
    // Shared; nullptr: none.
    PgConnection* shared_room();

    Share& share_for(const std::string& name, int concurrency);
    void dispatch();
    void start_connect();
    void on_cancel_sent(std::uint64_t id);

    loop::EventLoop& loop_;
    PoolOptions options_;
    ConnectionFactory factory_;
    Canceller canceller_;
    // Declared before the connections and shares, whose links point into them.
    StateLists lists_;
    std::map<std::string, Share> shares_;
    std::unordered_map<std::uint64_t, std::unique_ptr<PgConnection>> conns_;
    std::uint64_t next_id_ = 1;
    std::uint64_t next_seq_ = 1;
    int failures_ = 0;  // consecutive failed connects, for backoff
    TimePoint next_connect_at_{};
    loop::TimerId backoff_timer_ = 0;
    bool dispatching_ = false;
    bool redispatch_ = false;
    std::uint64_t cancels_ = 0, broken_ = 0, connects_ = 0;
    std::uint64_t shared_statements_ = 0, shared_requeues_ = 0;
    StatementSpeeds speeds_;
    std::string statement_timeout_option_;
    HostOrder host_order_;  // after options_: made from its dsn
    std::mt19937 rng_;
    // Servers (HostOrder::key) whose established connection broke, and until
    // when new connections try them last.
    std::vector<std::pair<std::string, TimePoint>> down_;
};

}  // namespace asyncpage::pg
