// PgConnection: one libpq connection's state machine on the loop: connect, send,
// read results, cancel, close; change_state is where its state changes.
// pg/prepared.cpp adds named statements and pipeline mode; the pool decides who
// uses the connection.
#include "pg/connection.hpp"

#include "pg/host_order.hpp"

#include <spdlog/spdlog.h>

#include <vector>

namespace asyncpage::pg {

const char* to_string(PgConnState s) {
    switch (s) {
        case PgConnState::Connecting:
            return "connecting";
        case PgConnState::Idle:
            return "idle";
        case PgConnState::Busy:
            return "busy";
        case PgConnState::Cancelling:
            return "cancelling";
        case PgConnState::Shared:
            return "shared";
        case PgConnState::Broken:
            return "broken";
    }
    return "?";
}

namespace {
bool is_copy(const PGresult* res) {
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COPY_OUT || st == PGRES_COPY_IN || st == PGRES_COPY_BOTH;
}
}  // namespace

std::string PgConnection::error_text() const {
    std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
        msg.pop_back();
    return msg;
}

PgConnection::PgConnection(const ConnectionSetup& setup)
    : loop_(setup.loop), events_(setup.events), lists_(setup.lists), id_(setup.id) {
    state_link_.conn = this;
    share_link_.conn = this;
    change_state(PgConnState::Connecting);
}

PgConnection::~PgConnection() {
    // A Broken connection is on no list already: it may outlive its pool in the
    // loop's closing queue.
    state_link_.unlink();
    share_link_.unlink();
    loop_.cancel_timer(connect_timer_);
    loop_.cancel_timer(resume_timer_);
    loop_.cancel_timer(stall_timer_);
    if (fd_ >= 0) loop_.unwatch(fd_);
    if (conn_) PQfinish(conn_);
}

void PgConnection::connect(const char* const* keywords, const char* const* values, Millis timeout) {
    // expand_dbname=1: the dsn passed as "dbname" may be a full connection string.
    conn_ = PQconnectStartParams(keywords, values, 1);
    if (!conn_ || PQstatus(conn_) == CONNECTION_BAD) {
        fail("connect: " + error_text());
        return;
    }
    // libpq prints notices to stderr by default; they go to the query's observer.
    PQsetNoticeReceiver(conn_, notice_receiver, this);
    // libpq applies connect_timeout in its blocking connects only, not in
    // PQconnectPoll (libpq, Database Connection Control Functions): enforce our own.
    connect_timer_ = loop_.add_timer(timeout, [this] {
        connect_timer_ = 0;
        if (state_ == PgConnState::Connecting) fail("connect timed out");
    });
    poll_status_ = PGRES_POLLING_WRITING;  // per libpq §34.1: start as if polling wrote
    watch_socket();
}

void PgConnection::notice_receiver(void* self, const PGresult* notice) {
    auto* c = static_cast<PgConnection*>(self);
    if (c->pipe_ && c->pipe_->shared) {
        if (QueryObserver* o = c->slot_observer(c->pipe_->slots.front())) o->on_notice(*c, notice);
    } else if (c->observer_ && c->state_ == PgConnState::Busy) {
        c->observer_->on_notice(*c, notice);
    }
}

void PgConnection::deliver_notifies() {
    // PQnotifies only returns what PQconsumeInput already read (libpq,
    // Asynchronous Notification).
    while (PGnotify* n = PQnotifies(conn_)) {
        if (on_notify) on_notify(*n);
        PQfreemem(n);
        if (state_ == PgConnState::Broken) return;
    }
}

void PgConnection::watch_socket() {
    // PQsocket can change during PQconnectPoll (a new host or SSL retry): re-read it.
    int fd = PQsocket(conn_);
    if (fd != fd_ && fd_ >= 0) loop_.unwatch(fd_);
    fd_ = fd;
    if (fd_ < 0) return;
    short events = wanted_events();
    if (state_ == PgConnState::Connecting) {
        events = poll_status_ == PGRES_POLLING_WRITING ? POLLOUT : POLLIN;
    }
    loop_.watch(fd_, events, [this](short rev) { on_io(rev); });
}

short PgConnection::wanted_events() const {
    short events = paused_ ? 0 : POLLIN;
    if (flushing_) events |= POLLOUT;
    return events;
}

void PgConnection::pause_reading() {
    if (paused_ || state_ != PgConnState::Busy || !query_running_ || fd_ < 0) return;
    paused_ = true;
    loop_.cancel_timer(resume_timer_);
    resume_timer_ = 0;
    loop_.set_events(fd_, wanted_events());
}

void PgConnection::resume_reading() {
    if (!paused_) return;
    unpause();
}

// Reads again; what libpq already buffered raises no POLLIN, so a timer of
// this pass delivers it.
void PgConnection::unpause() {
    paused_ = false;
    if (fd_ < 0) return;
    loop_.set_events(fd_, wanted_events());
    if (resume_timer_ == 0) {
        resume_timer_ = loop_.add_timer(Millis(0), [this] {
            resume_timer_ = 0;
            if (state_ != PgConnState::Broken && state_ != PgConnState::Connecting && conn_)
                on_readable();
        });
    }
}

void PgConnection::on_io(short revents) {
    if (state_ == PgConnState::Broken) return;
    if (state_ == PgConnState::Connecting) {
        continue_connect();
        return;
    }
    if ((revents & POLLOUT) && flushing_) flush();
    if (state_ != PgConnState::Broken && (revents & (POLLIN | POLLHUP | POLLERR))) on_readable();
}

void PgConnection::continue_connect() {
    poll_status_ = PQconnectPoll(conn_);
    switch (poll_status_) {
        case PGRES_POLLING_FAILED:
            fail("connect: " + error_text());
            return;
        case PGRES_POLLING_OK:
            if (PQsetnonblocking(conn_, 1) != 0) {
                fail("cannot make the connection non-blocking: " + error_text());
                return;
            }
            pid_ = PQbackendPID(conn_);
            server_ = HostOrder::key(PQhost(conn_) ? PQhost(conn_) : "",
                                     PQport(conn_) ? PQport(conn_) : "");
            connected();
            return;
        default:
            watch_socket();
    }
}

void PgConnection::connected() {
    loop_.cancel_timer(connect_timer_);
    connect_timer_ = 0;
    change_state(PgConnState::Idle);
    watch_socket();
    events_.on_connected(*this);
}

void PgConnection::change_state(PgConnState to, Share* share) {
    if (ConnectionList* list = lists_.of(to)) {
        list->push_back(state_link_);
    } else {
        state_link_.unlink();
    }
    state_ = to;
    if (share) {
        owner_ = share;
        share->held.push_back(share_link_);
    } else if (to != PgConnState::Busy && to != PgConnState::Cancelling) {
        share_link_.unlink();
        owner_ = nullptr;
    }
}

bool PgConnection::send(const std::string& sql, int nparams, const Oid* types,
                        const char* const* values, bool single_row, QueryObserver* observer) {
    if (PQsendQueryParams(conn_, sql.c_str(), nparams, types, values, nullptr, nullptr, 0) != 1) {
        std::string why = "send failed: " + error_text();
        observer_ = nullptr;
        fail(why);
        return false;
    }
    // Single-row mode must be set right after sending (libpq §34.6).
    if (single_row) PQsetSingleRowMode(conn_);
    return start_query(observer);
}

bool PgConnection::start_query(QueryObserver* observer) {
    query_started(observer);
    flush();
    return state_ != PgConnState::Broken;
}

void PgConnection::query_started(QueryObserver* observer) {
    observer_ = observer;
    query_running_ = true;
    head_since_ = loop_.now();
    change_state(PgConnState::Busy);
}

// The query (or the whole pipeline) is over: the observer may go on or release
// the connection; a cancelled one rejoins the pool once its cancel was sent too.
void PgConnection::query_over() {
    query_running_ = false;
    if (state_ == PgConnState::Cancelling) {
        if (!cancel_pending_) events_.on_cancel_finished(*this);
    } else if (observer_) {
        observer_->on_query_end(*this);
    }
}

void PgConnection::flush() {
    // Non-blocking mode: PQflush returns 1 while data is left; wait for POLLOUT
    // (and keep reading, since the server may need us to consume first; §34.10).
    int r = PQflush(conn_);
    if (r < 0) {
        fail("flush failed: " + error_text());
        return;
    }
    bool want_out = r == 1;
    if (want_out != flushing_) {
        flushing_ = want_out;
        loop_.set_events(fd_, wanted_events());
    }
}

void PgConnection::on_readable() {
    if (PQconsumeInput(conn_) == 0) {
        fail(error_text());
        return;
    }
    deliver_notifies();
    if (state_ == PgConnState::Broken) return;
    if (!query_running_) {
        // Idle: a readable socket is the server closing us (pg_terminate_backend,
        // shutdown) or a stray notice. CONNECTION_BAD after consuming means gone.
        if (PQstatus(conn_) == CONNECTION_BAD) fail(error_text());
        return;
    }
    // PQgetResult blocks while PQisBusy() is 1 (libpq, Asynchronous Command
    // Processing): only call it when not busy.
    while (query_running_ && !paused_ && PQisBusy(conn_) == 0) {
        PGresult* res = PQgetResult(conn_);
        if (res && is_copy(res)) {
            // Report files cannot hold a COPY (the parser refuses it); should one
            // come anyway, PQgetResult would return it forever.
            PQclear(res);
            fail("the statement began a COPY, which asyncpage does not run");
            return;
        }
        if (pipe_) {
            if (!on_pipeline_result(res)) return;
            continue;
        }
        if (res == nullptr) {
            if (run_) {
                Step step = next_prepared_step();
                if (step == Step::Broken) return;
                if (step == Step::Sent) continue;
                statement_timed(run_->key);
                run_.reset();
            } else if (!timed_key_.empty()) {
                statement_timed(timed_key_);
                timed_key_.clear();
            }
            query_running_ = false;
            deliver_notifies();  // LISTEN's own notifications may come with its result
            if (state_ == PgConnState::Broken) return;
            query_over();
            return;
        }
        model::PgResultPtr owned(res);
        if (run_ && swallow_prepared_result(res)) continue;
        if (observer_ && state_ == PgConnState::Busy) observer_->on_result(*this, std::move(owned));
        if (state_ == PgConnState::Broken) return;
    }
    if (PQstatus(conn_) == CONNECTION_BAD) fail(error_text());
}

void PgConnection::make_idle() {
    if (paused_) unpause();
    observer_ = nullptr;
    change_state(PgConnState::Idle);
}

PGcancel* PgConnection::cancel_key() {
    return PQgetCancel(conn_);
}

bool PgConnection::start_cancel() {
    if (!query_running_) return false;
    observer_ = nullptr;
    cancel_pending_ = true;
    change_state(PgConnState::Cancelling);
    if (paused_) unpause();  // the query's end must be read
    return true;
}

void PgConnection::abandon() {
    spdlog::debug("pg connection {} (backend {}) closed while {}: {}", id_, pid_, to_string(state_),
                  "given up with statements still queued");
    observer_ = nullptr;
    abandoned_ = true;
    cancel_pending_ = true;
    release_libpq();
    change_state(PgConnState::Cancelling);
}

void PgConnection::cancel_request_sent() {
    cancel_pending_ = false;
    if (state_ == PgConnState::Cancelling && !query_running_) events_.on_cancel_finished(*this);
}

void PgConnection::fail(const std::string& why) {
    if (state_ == PgConnState::Broken) return;
    PgConnState was = state_;
    std::vector<QueryObserver*> observers;
    if (observer_) observers.push_back(observer_);
    if (pipe_ && pipe_->shared) {
        for (const PipelineSlot& slot : pipe_->slots)
            if (slot.observer) observers.push_back(slot.observer);
    }
    observer_ = nullptr;
    close(why);
    for (QueryObserver* obs : observers)
        obs->on_connection_lost(*this, why);
    events_.on_broken(*this, why, was);
}

void PgConnection::close(const std::string& why) {
    if (state_ == PgConnState::Broken) return;
    if (!abandoned_) {
        spdlog::debug("pg connection {} (backend {}) closed while {}: {}", id_, pid_,
                      to_string(state_), why);
    }
    release_libpq();
    change_state(PgConnState::Broken);
}

void PgConnection::release_libpq() {
    query_running_ = false;
    paused_ = false;
    loop_.cancel_timer(resume_timer_);
    resume_timer_ = 0;
    run_.reset();
    timed_key_.clear();
    drop_pipeline();
    loop_.cancel_timer(connect_timer_);
    connect_timer_ = 0;
    loop_.cancel_timer(stall_timer_);
    stall_timer_ = 0;
    if (fd_ >= 0) loop_.unwatch(fd_);
    fd_ = -1;
    // PQfinish only sends a Terminate message and closes: no blocking.
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
}

}  // namespace asyncpage::pg
