// PgConnection: one libpq connection's state machine on the loop. Only this file
// calls PQconnectPoll, PQconsumeInput and PQgetResult; the pool decides who uses it.
#include "pg/connection.hpp"

#include <spdlog/spdlog.h>

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
        case PgConnState::Broken:
            return "broken";
    }
    return "?";
}

namespace {
std::string trimmed_error(PGconn* conn) {
    std::string msg = conn ? PQerrorMessage(conn) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
        msg.pop_back();
    return msg;
}
}  // namespace

PgConnection::PgConnection(loop::EventLoop& loop, ConnectionEvents& events, std::uint64_t id)
    : loop_(loop), events_(events), id_(id) {}

PgConnection::~PgConnection() {
    loop_.cancel_timer(connect_timer_);
    if (fd_ >= 0) loop_.unwatch(fd_);
    if (conn_) PQfinish(conn_);
}

void PgConnection::connect(const char* const* keywords, const char* const* values, Millis timeout) {
    // expand_dbname=1: the dsn passed as "dbname" may be a full connection string.
    conn_ = PQconnectStartParams(keywords, values, 1);
    if (!conn_ || PQstatus(conn_) == CONNECTION_BAD) {
        fail("connect: " + trimmed_error(conn_));
        return;
    }
    // libpq prints notices to stderr by default; they go to the query's observer.
    PQsetNoticeReceiver(conn_, notice_receiver, this);
    // libpq ignores connect_timeout in PQconnectPoll (FACTS.md): enforce our own.
    connect_timer_ = loop_.add_timer(timeout, [this] {
        connect_timer_ = 0;
        if (state_ == PgConnState::Connecting) fail("connect timed out");
    });
    poll_status_ = PGRES_POLLING_WRITING;  // per libpq §34.1: start as if polling wrote
    watch_socket();
}

void PgConnection::notice_receiver(void* self, const PGresult* notice) {
    auto* c = static_cast<PgConnection*>(self);
    if (c->observer_ && c->state_ == PgConnState::Busy) c->observer_->on_notice(*c, notice);
}

void PgConnection::deliver_notifies() {
    // PQnotifies only returns what PQconsumeInput already read (FACTS.md).
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
    short events = POLLIN;
    if (state_ == PgConnState::Connecting) {
        events = poll_status_ == PGRES_POLLING_WRITING ? POLLOUT : POLLIN;
    } else if (flushing_) {
        events = POLLIN | POLLOUT;
    }
    loop_.watch(fd_, events, [this](short rev) { on_io(rev); });
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
            fail("connect: " + trimmed_error(conn_));
            return;
        case PGRES_POLLING_OK:
            loop_.cancel_timer(connect_timer_);
            connect_timer_ = 0;
            if (PQsetnonblocking(conn_, 1) != 0) {
                fail("cannot make the connection non-blocking: " + trimmed_error(conn_));
                return;
            }
            pid_ = PQbackendPID(conn_);
            state_ = PgConnState::Idle;
            watch_socket();
            events_.on_connected(*this);
            return;
        default:
            watch_socket();
    }
}

bool PgConnection::send(const std::string& sql, int nparams, const Oid* types,
                        const char* const* values, bool single_row, QueryObserver* observer) {
    if (PQsendQueryParams(conn_, sql.c_str(), nparams, types, values, nullptr, nullptr, 0) != 1) {
        std::string why = "send failed: " + trimmed_error(conn_);
        observer_ = nullptr;
        fail(why);
        return false;
    }
    // Single-row mode must be set right after sending (libpq §34.6).
    if (single_row) PQsetSingleRowMode(conn_);
    observer_ = observer;
    state_ = PgConnState::Busy;
    query_running_ = true;
    flush();
    return state_ != PgConnState::Broken;
}

void PgConnection::flush() {
    // Non-blocking mode: PQflush returns 1 while data is left; wait for POLLOUT
    // (and keep reading, since the server may need us to consume first; §34.10).
    int r = PQflush(conn_);
    if (r < 0) {
        fail("flush failed: " + trimmed_error(conn_));
        return;
    }
    bool want_out = r == 1;
    if (want_out != flushing_) {
        flushing_ = want_out;
        loop_.set_events(fd_, flushing_ ? (POLLIN | POLLOUT) : POLLIN);
    }
}

void PgConnection::on_readable() {
    if (PQconsumeInput(conn_) == 0) {
        fail(trimmed_error(conn_));
        return;
    }
    deliver_notifies();
    if (state_ == PgConnState::Broken) return;
    if (!query_running_) {
        // Idle: a readable socket is the server closing us (pg_terminate_backend,
        // shutdown) or a stray notice. CONNECTION_BAD after consuming means gone.
        if (PQstatus(conn_) == CONNECTION_BAD) fail(trimmed_error(conn_));
        return;
    }
    // PQgetResult blocks while PQisBusy() is 1 (FACTS.md): only call it when not busy.
    while (query_running_ && PQisBusy(conn_) == 0) {
        PGresult* res = PQgetResult(conn_);
        if (res == nullptr) {
            query_running_ = false;
            deliver_notifies();  // LISTEN's own notifications may come with its result
            if (state_ == PgConnState::Broken) return;
            if (state_ == PgConnState::Cancelling) {
                if (!cancel_pending_) events_.on_cancel_finished(*this);
            } else if (observer_) {
                QueryObserver* obs = observer_;
                observer_ = nullptr;
                obs->on_query_end(*this);
            }
            return;
        }
        render::PgResultPtr owned(res);
        if (observer_ && state_ == PgConnState::Busy) observer_->on_result(*this, std::move(owned));
        if (state_ == PgConnState::Broken) return;
    }
    if (PQstatus(conn_) == CONNECTION_BAD) fail(trimmed_error(conn_));
}

void PgConnection::make_idle() {
    observer_ = nullptr;
    state_ = PgConnState::Idle;
}

PGcancel* PgConnection::start_cancel() {
    if (!query_running_) {
        make_idle();
        return nullptr;
    }
    observer_ = nullptr;
    state_ = PgConnState::Cancelling;
    cancel_pending_ = true;
    return PQgetCancel(conn_);  // copies the backend key; does not block
}

void PgConnection::cancel_request_sent() {
    cancel_pending_ = false;
    if (state_ == PgConnState::Cancelling && !query_running_) events_.on_cancel_finished(*this);
}

void PgConnection::fail(const std::string& why) {
    if (state_ == PgConnState::Broken) return;
    PgConnState was = state_;
    QueryObserver* obs = observer_;
    observer_ = nullptr;
    close(why);
    if (obs) obs->on_connection_lost(*this, why);
    events_.on_broken(*this, why, was);
}

void PgConnection::close(const std::string& why) {
    if (state_ == PgConnState::Broken) return;
    spdlog::debug("pg connection {} (backend {}) closed while {}: {}", id_, pid_, to_string(state_),
                  why);
    state_ = PgConnState::Broken;
    query_running_ = false;
    loop_.cancel_timer(connect_timer_);
    connect_timer_ = 0;
    if (fd_ >= 0) loop_.unwatch(fd_);
    fd_ = -1;
    // PQfinish only sends a Terminate message and closes: no blocking.
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
}

}  // namespace asyncpage::pg
