// PgConnection's named prepared statements (send_prepared) and pipeline mode
// (send_pipeline): which statements a connection has prepared, the extra steps
// (Parse, a stale plan's retry) and the results the observer must not see.
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/pg_error.hpp"
#include "pg/connection.hpp"

namespace asyncpage::pg {

namespace {
// Reports are a bounded set, but a reports_dir edited for months is not: past
// this many statements a connection runs further ones unnamed.
constexpr std::size_t kMaxPrepared = 256;

// PostgreSQL refuses a prepared statement whose result columns changed (ALTER
// TABLE under a SELECT *) on every later run; only preparing it again helps.
bool is_stale_plan(const PGresult* res) {
    if (PQresultStatus(res) != PGRES_FATAL_ERROR) return false;
    return model::error_field(res, PG_DIAG_SQLSTATE) == model::sqlstate::kFeatureNotSupported &&
           model::error_field(res, PG_DIAG_MESSAGE_PRIMARY)
               .starts_with("cached plan must not change");
}

}  // namespace

std::string statement_key(const std::string& sql, int nparams, const Oid* types) {
    std::string key = sql;
    key.push_back('\0');
    if (types) key.append(reinterpret_cast<const char*>(types), sizeof(Oid) * std::size_t(nparams));
    return key;
}

bool PgConnection::send_prepared(const std::string& sql, int nparams, const Oid* types,
                                 const char* const* values, bool single_row,
                                 QueryObserver* observer) {
    std::string key = statement_key(sql, nparams, types);
    auto known = prepared_.find(key);
    if (!named_statements_ || (known == prepared_.end() && prepared_.size() >= kMaxPrepared)) {
        if (!send(sql, nparams, types, values, single_row, observer)) return false;
        timed_key_ = std::move(key);  // timed as a prepared one (pool_mode = "transaction")
        return true;
    }

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
        std::string why = "send failed: " + error_text();
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

// Sends one statement into the running pipeline: its Parse when the connection
// has not prepared it (nor is preparing it), its execution, and its own Sync.
bool PgConnection::append_statement(const PipelinedStatement& st, QueryObserver* observer,
                                    Share* share) {
    Pipeline& pipe = *pipe_;
    PipelineSlot& slot = pipe.slots.emplace_back();
    slot.key = st.key ? *st.key : statement_key(*st.sql, st.nparams, st.types);
    slot.observer = observer;
    slot.share = share;
    if (share) ++share->pipelined;
    bool ok = true;
    if (auto known = prepared_.find(slot.key); known != prepared_.end()) {
        slot.name = known->second;
    } else if (auto earlier = pipe.parsing.find(slot.key); earlier != pipe.parsing.end()) {
        slot.name = earlier->second;
        slot.by_parse = true;
    } else if (named_statements_ && prepared_.size() + pipe.parsing.size() < kMaxPrepared) {
        slot.parse = true;
        slot.name = "asyncpage_" + std::to_string(++statements_made_);
        pipe.parsing.emplace(slot.key, slot.name);
        ok = PQsendPrepare(conn_, slot.name.c_str(), st.sql->c_str(), st.nparams, st.types) == 1;
    }
    if (ok && slot.name.empty()) {
        ok = PQsendQueryParams(conn_, st.sql->c_str(), st.nparams, st.types, st.values, nullptr,
                               nullptr, 0) == 1;
    } else if (ok) {
        ok = PQsendQueryPrepared(conn_, slot.name.c_str(), st.nparams, st.values, nullptr, nullptr,
                                 0) == 1;
    }
    // libpq 15's PQpipelineSync also flushes: one write per statement, while
    // PostgreSQL reads what has arrived in one go.
    return ok && PQpipelineSync(conn_) == 1;
}

bool PgConnection::send_pipeline(const std::vector<PipelinedStatement>& statements, bool single_row,
                                 QueryObserver* observer) {
    pipe_ = Pipeline();  // not emplace(): clang 14 sees the nested type as not yet
                         // default-constructible
    pipe_->single_row = single_row;
    bool ok = PQenterPipelineMode(conn_) == 1;
    for (std::size_t i = 0; ok && i < statements.size(); ++i)
        ok = append_statement(statements[i], nullptr, nullptr);
    if (!ok) {
        std::string why = "send failed: " + error_text();
        observer_ = nullptr;
        fail(why);
        return false;
    }
    pipe_->stage = Pipeline::Stage::Parse;
    if (!pipe_->slots.front().parse) enter_exec_stage();
    return start_query(observer);
}

void PgConnection::begin_sharing(Millis stall) {
    stall_ = stall;
    change_state(PgConnState::Shared);
}

bool PgConnection::send_shared(const PipelinedStatement& statement, Share& share,
                               QueryObserver* observer) {
    bool first = !pipe_;
    bool ok = true;
    if (first) {
        pipe_ = Pipeline();
        pipe_->shared = true;
        pipe_->single_row = true;
        ok = PQenterPipelineMode(conn_) == 1;
    }
    ok = ok && append_statement(statement, observer, &share);
    if (!ok) {
        // The others hear on_connection_lost; the sender learns it from false.
        if (pipe_ && !pipe_->slots.empty()) pipe_->slots.back().observer = nullptr;
        fail("send failed: " + error_text());
        return false;
    }
    if (first) {
        pipe_->stage = Pipeline::Stage::Parse;
        if (!pipe_->slots.front().parse) enter_exec_stage();
        query_running_ = true;
        head_since_ = loop_.now();
    } else {
        arm_stall_timer();  // someone waits behind the head now
    }
    flush();
    return state_ != PgConnState::Broken;
}

void PgConnection::detach(QueryObserver* observer) {
    if (!pipe_) return;
    for (PipelineSlot& slot : pipe_->slots)
        if (slot.observer == observer) slot.observer = nullptr;
}

QueryObserver* PgConnection::slot_observer(const PipelineSlot& slot) const {
    if (pipe_->shared) return state_ == PgConnState::Shared ? slot.observer : nullptr;
    return state_ == PgConnState::Busy ? observer_ : nullptr;
}

// The pipeline ends (its last Sync, or the connection closes): statements still
// in it no longer count against their shares.
void PgConnection::drop_pipeline() {
    if (!pipe_) return;
    for (PipelineSlot& slot : pipe_->slots) {
        if (slot.share) --slot.share->pipelined;
        slot.share = nullptr;
    }
    pipe_.reset();
}

// While statements wait behind the head: checks the head's age when the stall
// limit may have passed, and again for the next head.
void PgConnection::arm_stall_timer() {
    if (stall_timer_ != 0 || !pipe_ || pipe_->slots.size() < 2) return;
    stall_timer_ = loop_.add_timer(head_since_ + stall_, [this] {
        stall_timer_ = 0;
        if (state_ != PgConnState::Shared || !pipe_ || pipe_->slots.size() < 2) return;
        if (loop_.now() - head_since_ >= stall_) {
            events_.on_shared_stalled(*this);
        } else {
            arm_stall_timer();
        }
    });
}

bool PgConnection::cancel_shared_head() {
    if (state_ != PgConnState::Shared || !pipe_ || cancel_pending_ || pipe_->cancel_armed)
        return false;
    cancel_pending_ = true;
    pipe_->cancel_armed = true;
    return true;
}

void PgConnection::statement_timed(const std::string& key) {
    events_.on_statement_timed(key, loop_.now() - head_since_);
}

// The execution of the current slot is the statement libpq processes now. In
// pipeline mode single-row mode is per statement and applies to the one at the
// head of libpq's queue: PQsetSingleRowMode called right after sending the
// second statement returns 1 but sets it for the first one (libpq 15,
// checked). So it is set here, once the statements before have been read (and
// the slot's own Parse, for which it would fail), before any of its rows.
void PgConnection::enter_exec_stage() {
    pipe_->stage = Pipeline::Stage::Exec;
    if (pipe_->single_row) PQsetSingleRowMode(conn_);
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
        fail("send failed: " + error_text());
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

// One result of a pipeline (res may be NULL, the end of a statement's step).
// False when on_readable must stop reading: the pipeline is over and the
// observer told, or the connection broke or was given up meanwhile.
bool PgConnection::on_pipeline_result(PGresult* raw) {
    using Stage = Pipeline::Stage;
    Pipeline& pipe = *pipe_;
    PipelineSlot& slot = pipe.slots.front();
    model::PgResultPtr res(raw);
    switch (pipe.stage) {
        case Stage::Parse:
            if (!raw) {
                enter_exec_stage();
                return true;
            }
            pipe.parsing.erase(slot.key);
            if (PQresultStatus(raw) == PGRES_COMMAND_OK) {
                prepared_[slot.key] = slot.name;
                return true;
            }
            pipe.failed_parses.insert(slot.name);  // the SQL's own error: the observer's
            break;
        case Stage::Exec:
            if (!raw) {
                pipe.stage = Stage::Sync;
                return true;
            }
            // Skipped after its own failed Parse, whose error was delivered.
            if (PQresultStatus(raw) == PGRES_PIPELINE_ABORTED) return true;
            if (pipe.cancel_armed &&
                model::error_field(raw, PG_DIAG_SQLSTATE) == model::sqlstate::kQueryCanceled) {
                // Our cancel_shared_head: rolled back, to be run again by its observer.
                pipe.cancel_armed = false;
                slot.cancelled = true;
                return true;
            }
            if ((slot.by_parse && pipe.failed_parses.contains(slot.name)) || is_stale_plan(raw)) {
                slot.redo = true;
                if (!slot.by_parse) prepared_.erase(slot.key);
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
    if (QueryObserver* o = slot_observer(slot)) o->on_result(*this, std::move(res));
    // The observer may have given the connection up (a section cut at max_rows
    // abandons a pipeline with statements still queued): nothing is left to read.
    return state_ != PgConnState::Broken && !abandoned_;
}

// A pipelined statement's Sync arrived: its implicit transaction is over.
bool PgConnection::end_pipelined_statement() {
    Pipeline& pipe = *pipe_;
    PipelineSlot ended = std::move(pipe.slots.front());
    pipe.slots.pop_front();
    if (ended.share) --ended.share->pipelined;
    statement_timed(ended.key);
    head_since_ = loop_.now();
    redo_ = ended.redo;
    QueryObserver* observer = pipe.shared ? ended.observer : observer_;
    bool last = pipe.slots.empty();
    bool shared = pipe.shared;
    if (last) {
        pipe_.reset();
        query_running_ = false;
        if (PQexitPipelineMode(conn_) != 1) {
            fail("cannot leave pipeline mode: " + error_text());
            return false;
        }
    } else if (pipe.slots.front().parse) {
        pipe.stage = Pipeline::Stage::Parse;
    } else {
        enter_exec_stage();
    }
    if (!shared) {
        if (last) {
            query_over();
        } else if (state_ == PgConnState::Busy && observer) {
            observer->on_query_end(*this);
        }
    } else if (state_ == PgConnState::Shared) {
        if (last) {
            // A cancel of ours not yet sent could hit the next holder's query.
            change_state(cancel_pending_ ? PgConnState::Cancelling : PgConnState::Idle);
        } else {
            arm_stall_timer();  // for the new head, if others wait behind it
        }
        if (observer && ended.cancelled) {
            observer->on_requeue(*this);
        } else if (observer) {
            observer->on_query_end(*this);
        }
        if (state_ != PgConnState::Broken && !abandoned_) events_.on_shared_progress(*this);
    } else if (last) {
        query_over();  // a Shared connection cancelled for its last, detached statement
    }
    redo_ = false;
    return !last && state_ != PgConnState::Broken && !abandoned_;
}

}  // namespace asyncpage::pg
