// PgConnection: one libpq connection's state machine on the loop. Only this file
// calls PQconnectPoll, PQconsumeInput and PQgetResult; the pool decides who uses it.
#include "pg/connection.hpp"

#include <spdlog/spdlog.h>

#include <string_view>
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
        case PgConnState::Broken:
            return "broken";
    }
    return "?";
}

namespace {
// Reports are a bounded set, but a reports_dir edited for months is not: past
// this many statements a connection runs further ones unnamed.
constexpr std::size_t kMaxPrepared = 256;

// The prepared_ key: the SQL, a '\0', the parameter types.
std::string statement_key(const std::string& sql, int nparams, const Oid* types) {
    std::string key = sql;
    key.push_back('\0');
    if (types) key.append(reinterpret_cast<const char*>(types), sizeof(Oid) * std::size_t(nparams));
    return key;
}

// PostgreSQL refuses a prepared statement whose result columns changed (ALTER
// TABLE under a SELECT *) on every later run; only preparing it again helps.
bool is_stale_plan(const PGresult* res) {
    if (PQresultStatus(res) != PGRES_FATAL_ERROR) return false;
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char* msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    return state && std::string_view(state) == "0A000" && msg &&
           std::string_view(msg).starts_with("cached plan must not change");
}

bool is_copy(const PGresult* res) {
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COPY_OUT || st == PGRES_COPY_IN || st == PGRES_COPY_BOTH;
}

std::string trimmed_error(PGconn* conn) {
    std::string msg = conn ? PQerrorMessage(conn) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
        msg.pop_back();
    return msg;
}
}  // namespace

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
    if (c->observer_ && c->state_ == PgConnState::Busy) c->observer_->on_notice(*c, notice);
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
            if (PQsetnonblocking(conn_, 1) != 0) {
                fail("cannot make the connection non-blocking: " + trimmed_error(conn_));
                return;
            }
            pid_ = PQbackendPID(conn_);
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
        std::string why = "send failed: " + trimmed_error(conn_);
        observer_ = nullptr;
        fail(why);
        return false;
    }
    // Single-row mode must be set right after sending (libpq §34.6).
    if (single_row) PQsetSingleRowMode(conn_);
    return start_query(observer);
}

bool PgConnection::send_prepared(const std::string& sql, int nparams, const Oid* types,
                                 const char* const* values, bool single_row,
                                 QueryObserver* observer) {
    std::string key = statement_key(sql, nparams, types);
    auto known = prepared_.find(key);
    if (known == prepared_.end() && prepared_.size() >= kMaxPrepared)
        return send(sql, nparams, types, values, single_row, observer);

    PreparedRun run;
    run.key = std::move(key);
    if (types) run.types.assign(types, types + nparams);
    run.values.reserve(std::size_t(nparams));
    for (int i = 0; i < nparams; ++i)
        run.values.push_back(values[i] ? std::optional<std::string>(values[i]) : std::nullopt);
    run.single_row = single_row;
    run_ = std::move(run);
    bool sent =
        known != prepared_.end() ? (run_->name = known->second, send_execute()) : send_prepare();
    if (!sent) {
        std::string why = "send failed: " + trimmed_error(conn_);
        observer_ = nullptr;
        fail(why);
        return false;
    }
    return start_query(observer);
}

bool PgConnection::send_prepare() {
    PreparedRun& run = *run_;
    run.name = "asyncpage_" + std::to_string(++statements_made_);
    run.preparing = true;
    return PQsendPrepare(conn_, run.name.c_str(), run.key.c_str(),
                         static_cast<int>(run.values.size()),
                         run.types.empty() ? nullptr : run.types.data()) == 1;
}

bool PgConnection::send_execute() {
    PreparedRun& run = *run_;
    std::vector<const char*> values;
    values.reserve(run.values.size());
    for (const auto& v : run.values)
        values.push_back(v ? v->c_str() : nullptr);
    if (PQsendQueryPrepared(conn_, run.name.c_str(), static_cast<int>(values.size()), values.data(),
                            nullptr, nullptr, 0) != 1)
        return false;
    if (run.single_row) PQsetSingleRowMode(conn_);
    return true;
}

bool PgConnection::send_pipeline(const std::vector<PipelinedStatement>& statements,
                                 QueryObserver* observer) {
    Pipeline pipe;
    pipe.slots.reserve(statements.size());
    std::unordered_map<std::string_view, std::size_t> parsing;  // key -> slot preparing it
    bool ok = PQenterPipelineMode(conn_) == 1;
    for (std::size_t i = 0; ok && i < statements.size(); ++i) {
        const PipelinedStatement& st = statements[i];
        PipelineSlot& slot = pipe.slots.emplace_back();
        slot.key = statement_key(*st.sql, st.nparams, st.types);
        if (auto known = prepared_.find(slot.key); known != prepared_.end()) {
            slot.name = known->second;
        } else if (auto earlier = parsing.find(slot.key); earlier != parsing.end()) {
            slot.parsed_by = static_cast<int>(earlier->second);
            slot.name = pipe.slots[earlier->second].name;
        } else if (prepared_.size() + parsing.size() < kMaxPrepared) {
            slot.parse = true;
            slot.name = "asyncpage_" + std::to_string(++statements_made_);
            parsing.emplace(pipe.slots[i].key, i);  // reserved: slots do not move
            ok =
                PQsendPrepare(conn_, slot.name.c_str(), st.sql->c_str(), st.nparams, st.types) == 1;
        }
        if (ok && slot.name.empty()) {
            ok = PQsendQueryParams(conn_, st.sql->c_str(), st.nparams, st.types, st.values, nullptr,
                                   nullptr, 0) == 1;
        } else if (ok) {
            ok = PQsendQueryPrepared(conn_, slot.name.c_str(), st.nparams, st.values, nullptr,
                                     nullptr, 0) == 1;
        }
        // libpq 15's PQpipelineSync also flushes: one write per statement, while
        // PostgreSQL reads what has arrived in one go.
        ok = ok && PQpipelineSync(conn_) == 1;
    }
    if (!ok) {
        std::string why = "send failed: " + trimmed_error(conn_);
        observer_ = nullptr;
        fail(why);
        return false;
    }
    pipe.stage = pipe.slots.front().parse ? Pipeline::Stage::Parse : Pipeline::Stage::Exec;
    pipe_ = std::move(pipe);
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

// The end of one step of a send_prepared run (PQgetResult returned NULL): sends
// the next step, if there is one, or says the statement is over.
PgConnection::Step PgConnection::next_prepared_step() {
    PreparedRun& run = *run_;
    bool sent = false;
    if (run.preparing) {
        run.preparing = false;
        if (run.failed) return Step::Over;  // the SQL itself is wrong: its error was delivered
        prepared_[run.key] = run.name;      // it exists on the server now, run or not
        if (state_ != PgConnState::Busy) return Step::Over;  // cancelled meanwhile
        sent = send_execute();
    } else if (run.stale_plan) {
        // A stale plan (is_stale_plan): prepare it again, once, and re-run it.
        run.stale_plan = false;
        run.retried = true;
        prepared_.erase(run.key);
        if (state_ != PgConnState::Busy) return Step::Over;
        sent = send_prepare();
    } else {
        return Step::Over;
    }
    if (!sent) {
        fail("send failed: " + trimmed_error(conn_));
        return Step::Broken;
    }
    flush();
    return state_ == PgConnState::Broken ? Step::Broken : Step::Sent;
}

// Results of a send_prepared run's steps that the observer must not see: the
// Parse's own COMMAND_OK, and the error of a stale plan that is retried.
bool PgConnection::swallow_prepared_result(const PGresult* res) {
    PreparedRun& run = *run_;
    ExecStatusType st = PQresultStatus(res);
    if (run.preparing) {
        if (st == PGRES_COMMAND_OK) return true;
        run.failed = true;
        return false;
    }
    if (run.retried || !is_stale_plan(res)) return false;
    run.stale_plan = true;
    return true;
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
    // PQgetResult blocks while PQisBusy() is 1 (libpq, Asynchronous Command
    // Processing): only call it when not busy.
    while (query_running_ && PQisBusy(conn_) == 0) {
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
                run_.reset();
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
    if (PQstatus(conn_) == CONNECTION_BAD) fail(trimmed_error(conn_));
}

// One result of a pipeline (res may be NULL, the end of a statement's step).
// False when on_readable must stop reading: the pipeline is over and the
// observer told, or the connection broke or was given up meanwhile.
bool PgConnection::on_pipeline_result(PGresult* raw) {
    using Stage = Pipeline::Stage;
    Pipeline& pipe = *pipe_;
    PipelineSlot& slot = pipe.slots[pipe.current];
    model::PgResultPtr res(raw);
    switch (pipe.stage) {
        case Stage::Parse:
            if (!raw) {
                pipe.stage = Stage::Exec;
                return true;
            }
            if (PQresultStatus(raw) == PGRES_COMMAND_OK) {
                prepared_[slot.key] = slot.name;
                return true;
            }
            slot.parse_failed = true;  // the SQL's own error: the observer's
            break;
        case Stage::Exec:
            if (!raw) {
                pipe.stage = Stage::Sync;
                return true;
            }
            // Skipped after its own failed Parse, whose error was delivered.
            if (PQresultStatus(raw) == PGRES_PIPELINE_ABORTED) return true;
            if ((slot.parsed_by >= 0 && pipe.slots[std::size_t(slot.parsed_by)].parse_failed) ||
                is_stale_plan(raw)) {
                slot.redo = true;
                if (slot.parsed_by < 0) prepared_.erase(slot.key);
                return true;
            }
            break;
        case Stage::Sync:
            if (!raw || PQresultStatus(raw) != PGRES_PIPELINE_SYNC) {
                fail("unexpected result in a pipeline: " +
                     std::string(raw ? PQresStatus(PQresultStatus(raw)) : "none"));
                return false;
            }
            return end_pipelined_statement();
    }
    if (observer_ && state_ == PgConnState::Busy) observer_->on_result(*this, std::move(res));
    return state_ != PgConnState::Broken;
}

// A pipelined statement's Sync arrived: its implicit transaction is over.
bool PgConnection::end_pipelined_statement() {
    Pipeline& pipe = *pipe_;
    redo_ = pipe.slots[pipe.current].redo;
    bool last = ++pipe.current == pipe.slots.size();
    if (last) {
        pipe_.reset();
        query_running_ = false;
        if (PQexitPipelineMode(conn_) != 1) {
            fail("cannot leave pipeline mode: " + trimmed_error(conn_));
            return false;
        }
        query_over();
    } else {
        pipe.stage =
            pipe.slots[pipe.current].parse ? Pipeline::Stage::Parse : Pipeline::Stage::Exec;
        if (state_ == PgConnState::Busy && observer_) observer_->on_query_end(*this);
    }
    redo_ = false;
    return !last && state_ != PgConnState::Broken;
}

void PgConnection::make_idle() {
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
    QueryObserver* obs = observer_;
    observer_ = nullptr;
    close(why);
    if (obs) obs->on_connection_lost(*this, why);
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
    run_.reset();
    pipe_.reset();
    loop_.cancel_timer(connect_timer_);
    connect_timer_ = 0;
    if (fd_ >= 0) loop_.unwatch(fd_);
    fd_ = -1;
    // PQfinish only sends a Terminate message and closes: no blocking.
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
}

}  // namespace asyncpage::pg
