#pragma once
// One PostgreSQL connection driven through libpq's asynchronous API from the loop:
// non-blocking connect (PQconnectStart/PQconnectPoll), queries with
// PQsendQueryParams or named prepared statements (one at a time, or several in
// pipeline mode) + PQflush, results with PQconsumeInput/PQisBusy/PQgetResult.
#include <libpq-fe.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "loop/event_loop.hpp"
#include "model/table.hpp"
#include "pg/state.hpp"

namespace asyncpage::pg {

class PgConnection;

// Who receives a query's results. Every callback runs on the loop thread.
class QueryObserver {
  public:
    virtual ~QueryObserver() = default;
    // Each result libpq returns: TUPLES_OK/COMMAND_OK, SINGLE_TUPLE rows in
    // single-row mode, or an error result (then on_query_end follows).
    virtual void on_result(PgConnection& conn, model::PgResultPtr result) = 0;
    // PQgetResult returned NULL: the query is over and the connection is the
    // observer's to reuse or release. In a pipeline, it is called once per
    // statement, and the connection is the observer's again only after the last
    // (PgConnection::pipeline_left() is then 0). The observer stays attached
    // until it releases the connection (or cancels the query).
    virtual void on_query_end(PgConnection& conn) = 0;
    // The connection broke while the observer held it (mid-query, or between
    // queries, as a LISTEN connection does); it is gone after this returns.
    virtual void on_connection_lost(PgConnection& conn, const std::string& why) = 0;
    // A NOTICE (or WARNING) the running statement raised, as it arrives
    // (asyncpage.progress uses this as a live channel; docs/ARCHITECTURE.md).
    virtual void on_notice(PgConnection& conn, const PGresult* notice) {
        (void)conn;
        (void)notice;
    }
    // Instead of on_query_end, for a statement of a Shared connection that was
    // cancelled because it held others behind it (docs/ARCHITECTURE.md, "Sharing
    // a connection between pages"): PostgreSQL rolled it back, so it may be sent
    // again, on a connection of its own; rows it delivered are void. The
    // connection is no longer the observer's. By default the statement is lost.
    virtual void on_requeue(PgConnection& conn) {
        on_connection_lost(conn, "cancelled on a shared connection");
    }
};

// What the owning pool hears from a connection.
class ConnectionEvents {
  public:
    virtual ~ConnectionEvents() = default;
    virtual void on_connected(PgConnection& conn) = 0;
    // A cancelled query has ended and its cancel request was delivered.
    virtual void on_cancel_finished(PgConnection& conn) = 0;
    // `was` is the state the connection was in when it broke.
    virtual void on_broken(PgConnection& conn, const std::string& why, PgConnState was) = 0;
    // A prepared or pipelined statement (statement_key) ended, `took` after it
    // reached the head of the connection (sent, or the one before it ended).
    virtual void on_statement_timed(const std::string& key, Clock::duration took) {
        (void)key;
        (void)took;
    }
    // A statement of a Shared connection ended: its share has room again; the
    // connection may take more, or it went Idle after its last.
    virtual void on_shared_progress(PgConnection& conn) { (void)conn; }
    // The head statement of a Shared connection has run for its stall limit
    // while statements of other pages wait behind it.
    virtual void on_shared_stalled(PgConnection& conn) { (void)conn; }
};

// A statement's identity for prepared statements and timings: its SQL, a '\0',
// its parameter types.
std::string statement_key(const std::string& sql, int nparams, const Oid* types);

// One statement of a pipeline: pointers into the sender's own data, read only
// while send_pipeline runs.
struct PipelinedStatement {
    const std::string* sql;
    int nparams;
    const Oid* types;
    const char* const* values;
    const std::string* key = nullptr;  // its statement_key, when the sender made it already
};

// Everything a connection is made with: the pool's loop, its event sink, the
// lists the connection moves between, and its id.
struct ConnectionSetup {
    loop::EventLoop& loop;
    ConnectionEvents& events;
    StateLists& lists;
    std::uint64_t id;
};

// connect() and cancel_key() are virtual so that unit tests can drive the pool
// with a connection that has no server; nothing per query or per row is.
class PgConnection {
  public:
    explicit PgConnection(const ConnectionSetup& setup);
    virtual ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    // Starts a non-blocking connect; `keywords`/`values` as for PQconnectStartParams.
    // Failure is reported through on_broken (possibly before this returns).
    virtual void connect(const char* const* keywords, const char* const* values, Millis timeout);
    // The running statement's cancel request (owned by the caller; nullptr when
    // libpq cannot make one). PQgetCancel copies the backend key: no blocking.
    virtual PGcancel* cancel_key();

    // Sends one statement with text parameters. Requires Idle (or Busy between two
    // queries of the same observer). False when the send failed: the connection is
    // then broken and on_connection_lost was not called.
    [[nodiscard]] bool send(const std::string& sql, int nparams, const Oid* types,
                            const char* const* values, bool single_row, QueryObserver* observer);
    // As send(), for a statement this process runs again and again (report
    // sections, job bookkeeping): prepared once per connection, under a name of
    // its own, and executed by name after that, which spares PostgreSQL parsing
    // and planning it on every page. The first use costs one more round trip. A
    // plan invalidated by a table change ("cached plan must not change result
    // type") is prepared afresh and run again, unseen by the observer.
    [[nodiscard]] bool send_prepared(const std::string& sql, int nparams, const Oid* types,
                                     const char* const* values, bool single_row,
                                     QueryObserver* observer);
    std::size_t prepared_statements() const { return prepared_.size(); }
    // Off behind a transaction pooler (pool_mode = "transaction"): the next
    // transaction may run on another server connection, where a named statement
    // does not exist. send_prepared and send_pipeline then send unnamed
    // statements (Parse, Bind, Execute in one round trip).
    void set_named_statements(bool on) { named_statements_ = on; }
    // Sends every statement at once in pipeline mode, each prepared as by
    // send_prepared and followed by its own Sync, so that each still runs in its
    // own implicit transaction and a failing one does not stop the next (as
    // with `parallel: false`); PostgreSQL runs them back to back without a round
    // trip between them. Results come in order; on_query_end follows each statement.
    // With `single_row`, every statement's rows come one by one (as for send()).
    // Returns false as send() does.
    [[nodiscard]] bool send_pipeline(const std::vector<PipelinedStatement>& statements,
                                     bool single_row, QueryObserver* observer);
    // Statements of the running pipeline whose end the observer has not yet
    // heard, the running one included; 0 when no pipeline runs.
    std::size_t pipeline_left() const { return pipe_ ? pipe_->slots.size() : 0; }

    // Sharing between pages (docs/ARCHITECTURE.md, "Sharing a connection between
    // pages"). The pool turns an Idle connection Shared and appends statements of
    // several observers to its pipeline, each with its own Sync; each observer
    // hears only its own statement, and releases nothing: the connection goes
    // Idle by itself after its last statement (ConnectionEvents::on_shared_progress).
    void begin_sharing(Millis stall);
    // Appends one statement, counted against `share` until its Sync arrives.
    // Returns false as send() does (every statement on it is then lost).
    [[nodiscard]] bool send_shared(const PipelinedStatement& statement, Share& share,
                                   QueryObserver* observer);
    // The observer leaves its statement: its results are discarded on arrival.
    void detach(QueryObserver* observer);
    // The observer of the running (head) statement of a Shared connection.
    QueryObserver* head_observer() const {
        return pipe_ && !pipe_->slots.empty() ? pipe_->slots.front().observer : nullptr;
    }
    // When the running statement (of a pipeline: its head) reached the head.
    TimePoint head_since() const { return head_since_; }
    // Shared and no cancel of ours in flight: may take one more statement.
    bool taking_statements() const {
        return state_ == PgConnState::Shared && !cancel_pending_ && !(pipe_ && pipe_->cancel_armed);
    }
    // A Shared connection's head is to be cancelled (the caller sends
    // cancel_key()). The first statement that then fails with query_canceled
    // (the head, or the next one if the head ended first) was rolled back: its
    // observer hears on_requeue. The connection takes no statement until that
    // happened or its pipeline is empty, and stays (Cancelling) out of the pool
    // until cancel_request_sent(). False when nothing runs or a cancel is pending.
    [[nodiscard]] bool cancel_shared_head();
    // In on_query_end of a pipelined statement: the statement did not run, because
    // its prepared plan went stale (as for send_prepared) or the Parse it
    // depended on failed. It cannot be run again in place, since the statements
    // behind it are already queued; the observer sends it again on its own.
    bool statement_redo() const { return redo_; }

    // The pool hands the connection to `share` (Busy before any query is sent, so
    // a failure is accounted to the holder) or takes it back (Idle).
    void assign(Share& share) { change_state(PgConnState::Busy, &share); }
    void make_idle();

    // Detaches the observer and closes the connection, which stays Cancelling
    // (counted by its pool and share) until its cancel request, taken with
    // cancel_key() before this, was sent. For a pipeline: a cancel alone would
    // let the queued statements start. A backend whose client is gone fails
    // writing the cancelled statement's error, and PostgreSQL ends it before it
    // runs another command.
    void abandon();
    bool abandoned() const { return abandoned_; }

    // Detaches the observer and goes Cancelling; the caller sends cancel_key().
    // The connection reports on_cancel_finished once the query ended and
    // cancel_request_sent() was called. False when no query was running (the
    // connection is then unchanged, still Busy).
    [[nodiscard]] bool start_cancel();
    void cancel_request_sent();

    void close(const std::string& why);

    // Backpressure: while paused, the socket is not read and no result reaches
    // the observer (not even ones libpq already holds), so PostgreSQL waits on
    // its socket once the buffers between fill. Only while a query runs (Busy);
    // a cancel, release or failure ends the pause. resume_reading() goes on with
    // what libpq already holds, from a timer (never inside the caller).
    void pause_reading();
    void resume_reading();
    bool reading_paused() const { return paused_; }

    PgConnState state() const { return state_; }
    std::uint64_t id() const { return id_; }
    int backend_pid() const { return pid_; }
    // The host and port it connected to (HostOrder::key), once connected.
    const std::string& server() const { return server_; }
    // The share holding this connection while Busy or Cancelling.
    Share* owner() const { return owner_; }
    // NOTIFY messages (LISTEN connections), delivered whenever input was consumed.
    std::function<void(const PGnotify& notify)> on_notify;

  protected:
    // The one place where state_ changes: moves the connection from the list of
    // its old state to that of `to`, and onto `share`'s list when one takes it
    // (off it when it goes Idle or Broken).
    void change_state(PgConnState to, Share* share = nullptr);
    // The steps a connection without a server (tests) shares with the real one.
    void connected();
    void query_started(QueryObserver* observer);
    void query_over();
    void fail(const std::string& why);

  private:
    static void notice_receiver(void* self, const PGresult* notice);
    void deliver_notifies();
    void watch_socket();
    short io_events() const;  // interest once connected: POLLIN unless paused, POLLOUT to flush
    void on_io(short revents);
    void continue_connect();
    void on_readable();
    void flush();
    short wanted_events() const;
    void unpause();
    void release_libpq();
    // PQerrorMessage, without its trailing newline.
    std::string error_text() const;
    bool start_query(QueryObserver* observer);
    bool send_prepare();
    bool send_execute();
    enum class Step { Sent, Over, Broken };
    Step next_prepared_step();
    bool swallow_prepared_result(const PGresult* res);
    bool on_pipeline_result(PGresult* res);
    bool end_pipelined_statement();
    void enter_exec_stage();
    bool append_statement(const PipelinedStatement& statement, QueryObserver* observer,
                          Share* share);
    void drop_pipeline();
    void arm_stall_timer();
    void statement_timed(const std::string& key);

    // The statement send_prepared is running: kept until its end, because its
    // parameters are sent again after a prepare, or after a stale plan.
    struct PreparedRun {
        // The prepared_ key: the SQL, a '\0', the parameter types. Its c_str() is
        // the SQL, so the text is not kept twice.
        std::string key;
        std::vector<Oid> types;
        std::vector<std::optional<std::string>> values;
        std::string name;
        bool single_row = false;
        bool preparing = false;   // Parse sent, its result not yet all read
        bool failed = false;      // the Parse (or the run) returned an error
        bool stale_plan = false;  // the run failed with "cached plan must not change"
        bool retried = false;
    };
    std::optional<PreparedRun> run_;
    // A send_prepared statement sent unnamed (send()): its key, to time it.
    std::string timed_key_;

  protected:
    // A pipeline (send_pipeline, or a Shared connection's): each slot is one
    // statement; its results are, in order, those of its Parse (when it prepares
    // the statement), of its execution, and its Sync. The head is slots.front().
    struct PipelineSlot {
        std::string key;  // as PreparedRun's
        std::string name;
        bool parse = false;     // this slot sends the Parse
        bool by_parse = false;  // `name` is made by an earlier slot's Parse
        bool redo = false;
        bool cancelled = false;             // Shared: rolled back by our cancel
        QueryObserver* observer = nullptr;  // Shared: this statement's own
        Share* share = nullptr;             // Shared: counted there until its Sync
    };
    struct Pipeline {
        enum class Stage { Parse, Exec, Sync };
        std::deque<PipelineSlot> slots;
        Stage stage = Stage::Exec;
        bool single_row = false;
        bool shared = false;
        bool cancel_armed = false;  // Shared: our cancel has not yet hit a statement
        std::unordered_map<std::string, std::string> parsing;  // key -> name, Parse in flight
        std::unordered_set<std::string> failed_parses;         // names whose Parse failed
    };
    std::optional<Pipeline> pipe_;

  private:
    // Who hears this slot's results now: its own observer on a Shared
    // connection, the connection's otherwise; nobody once it is cancelled or closed.
    QueryObserver* slot_observer(const PipelineSlot& slot) const;
    bool redo_ = false;
    bool abandoned_ = false;
    std::unordered_map<std::string, std::string> prepared_;  // key -> statement name
    std::uint64_t statements_made_ = 0;
    bool named_statements_ = true;

    loop::EventLoop& loop_;
    ConnectionEvents& events_;
    StateLists& lists_;
    std::uint64_t id_;
    PGconn* conn_ = nullptr;
    int fd_ = -1;
    PgConnState state_ = PgConnState::Connecting;
    ConnectionList::Link state_link_;
    ConnectionList::Link share_link_;
    Share* owner_ = nullptr;
    PostgresPollingStatusType poll_status_ = PGRES_POLLING_WRITING;
    QueryObserver* observer_ = nullptr;
    bool query_running_ = false;
    bool cancel_pending_ = false;  // cancel request not yet delivered
    bool flushing_ = false;
    bool paused_ = false;
    loop::TimerId resume_timer_ = 0;  // delivers what libpq holds after a pause
    loop::TimerId connect_timer_ = 0;
    loop::TimerId stall_timer_ = 0;
    Millis stall_{0};
    TimePoint head_since_{};
    int pid_ = 0;
    std::string server_;
};

}  // namespace asyncpage::pg
