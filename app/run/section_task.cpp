// SectionTask: connection wait, queries in order, cancel on stop, a section cut
// at max_rows.
#include "run/section_task.hpp"

#include <spdlog/spdlog.h>

#include "model/pg_error.hpp"
#include "reports/sql_types.hpp"

namespace asyncpage::run {

using model::error_field;
using model::SectionStatus;

void SectionTask::start() {
    enqueue(false);
}

void SectionTask::enqueue(bool again) {
    waiting_since_ = host_.loop().now();
    waiting_ = true;
    set_shareable(shareable_key());
    const auto& report = host_.report();
    if (again) {
        host_.pool().acquire_again(report.name, report.concurrency, this);
    } else {
        host_.pool().acquire(report.name, report.concurrency, this);
    }
}

// The statement of the task's one section left, when it may share a connection.
// Its parameters are bound here, once: run_shared sends them as they are.
std::string SectionTask::shareable_key() {
    if (no_share_ || !host_.pool().shares_connections() || !host_.shares_connections() ||
        sections_.size() - next_ != 1)
        return {};
    const auto& section = host_.report().sections[sections_[next_]];
    params_.clear();
    types_.clear();
    add_params(section);
    return pg::statement_key(section.sql, static_cast<int>(types_.size()), types_.data());
}

void SectionTask::stop(SectionStatus unfinished, const std::string& message) {
    if (finished_) return;
    finished_ = true;
    if (waiting_) {
        host_.pool().forget(this);
        waiting_ = false;
    }
    if (conn_) {
        if (shared_) {
            // Its answer is discarded on arrival; the other pages' are not disturbed.
            if (query_running_) host_.on_query_stopped();
            query_running_ = false;
            host_.pool().detach(*conn_, this);
            shared_ = false;
        } else if (query_running_) {
            query_running_ = false;
            host_.on_query_stopped();
            host_.pool().cancel(*conn_);  // rejoins the pool once the query ended
        } else {
            host_.pool().release(*conn_);
        }
        conn_ = nullptr;
    }
    for (std::size_t i = next_; i < sections_.size(); ++i) {
        auto& r = host_.result(sections_[i]);
        r.status = unfinished;
        r.message = message;
        if (r.begin_ms >= 0) {  // started: it ran until now
            r.end_ms = host_.since_start();
            r.elapsed_ms = r.end_ms - r.begin_ms;
        }
    }
}

void SectionTask::pause_reading() {
    if (conn_ && query_running_) conn_->pause_reading();
}

void SectionTask::resume_reading() {
    if (conn_) conn_->resume_reading();
}

void SectionTask::on_connection(pg::PgConnection& conn) {
    waiting_ = false;
    conn_ = &conn;
    wait_ms_ = ms_between(waiting_since_, host_.loop().now());
    host_.on_connection_acquired();
    if (conn.state() == pg::PgConnState::Shared) {
        run_shared();
    } else if (host_.pipelined() && sections_.size() - next_ > 1) {
        run_pipeline();
    } else {
        run_next();
    }
}

// The section at next_ starts now: a pipelined one when the one before it ended.
void SectionTask::begin_section() {
    auto& r = host_.result(sections_[next_]);
    r.wait_ms += wait_ms_;  // the first section on a connection waited for it
    wait_ms_ = 0;
    r.begin_ms = host_.since_start();
    query_start_ = host_.loop().now();
    error_seen_ = false;
    rows_ = 0;
    host_.on_query_started();
    query_running_ = true;
}

void SectionTask::add_params(const reports::Section& section) {
    const auto& report = host_.report();
    const auto& values = host_.values();
    for (std::size_t idx : section.param_index) {
        params_.push_back(values[idx]);
        types_.push_back(reports::param_type_oid(report.params[idx].type));
    }
}

void SectionTask::run_next() {
    if (next_ >= sections_.size()) {
        done();
        return;
    }
    const auto& section = host_.report().sections[sections_[next_]];
    params_.clear();
    types_.clear();
    add_params(section);
    begin_section();
    if (!conn_->send_prepared(section.sql, static_cast<int>(params_.size()), types_.data(),
                              params_.data(), host_.single_row(), this))
        send_failed();
}

// Behind other pages' statements on a Shared connection. The pool gives one
// only to a waiter with a shareable() key, whose parameters shareable_key bound.
void SectionTask::run_shared() {
    shared_ = true;
    const auto& section = host_.report().sections[sections_[next_]];
    begin_section();
    pg::PipelinedStatement statement{&section.sql, static_cast<int>(params_.size()), types_.data(),
                                     params_.data(), &shareable()};
    if (!conn_->send_shared(statement, *share(), this)) {
        shared_ = false;
        send_failed();
    }
}

// Every section at once: PostgreSQL runs them back to back, without waiting for
// a round trip between them.
void SectionTask::run_pipeline() {
    const auto& sections = host_.report().sections;
    params_.clear();
    types_.clear();
    std::vector<std::size_t> first_param;
    for (std::size_t i = next_; i < sections_.size(); ++i) {
        first_param.push_back(params_.size());
        add_params(sections[sections_[i]]);
    }
    std::vector<pg::PipelinedStatement> statements;
    for (std::size_t i = next_, k = 0; i < sections_.size(); ++i, ++k) {
        const auto& section = sections[sections_[i]];
        statements.push_back({&section.sql, static_cast<int>(section.param_index.size()),
                              types_.data() + first_param[k], params_.data() + first_param[k]});
    }
    begin_section();
    pipelined_ = statements.size();
    if (!conn_->send_pipeline(statements, host_.single_row(), this)) {
        pipelined_ = 0;
        send_failed();
    }
}

// The connection broke while sending; the pool has already dropped it.
void SectionTask::send_failed() {
    query_running_ = false;
    host_.on_query_stopped();
    conn_ = nullptr;
    fail_rest(std::string(model::sqlstate::kConnectionFailure),
              "connection to PostgreSQL lost while sending the query");
}

void SectionTask::on_result(pg::PgConnection&, model::PgResultPtr res) {
    switch (PQresultStatus(res.get())) {
        case PGRES_SINGLE_TUPLE:
        case PGRES_TUPLES_OK: {
            // Only single-row mode can stop at the row after the last kept one; a
            // whole result is already in memory.
            std::size_t cap = host_.single_row() ? host_.max_rows() : 0;
            auto n = static_cast<std::size_t>(PQntuples(res.get()));
            if (cap > 0 && rows_ + n > cap) {
                truncate();
                return;
            }
            rows_ += n;
            host_.on_rows(sections_[next_], std::move(res));
            break;
        }
        case PGRES_COMMAND_OK:
            break;
        default: {
            if (!conflict_retried_ && rows_ == 0 && model::is_recovery_conflict(res.get())) {
                conflict_retried_ = conflict_retry_ = true;
                spdlog::warn("report {}: section {}: {} (SQLSTATE 40001): running it once more",
                             host_.report().name, host_.report().sections[sections_[next_]].name,
                             error_field(res.get(), PG_DIAG_MESSAGE_PRIMARY));
                break;
            }
            error_seen_ = true;
            auto& r = host_.result(sections_[next_]);
            r.status = SectionStatus::Error;
            r.sqlstate = error_field(res.get(), PG_DIAG_SQLSTATE);
            r.message = error_field(res.get(), PG_DIAG_MESSAGE_PRIMARY);
            if (r.message.empty()) {  // made by libpq itself: it may name the server
                std::string full = PQresultErrorMessage(res.get());
                spdlog::warn("report {}: {}", host_.report().name, full);
                r.message = model::public_connection_error(full);
            }
            host_.on_section_error(r.sqlstate, r.message);
        }
    }
}

// One row more than max_rows came: the section is complete as far as its page
// goes, so it ends ok (truncated) at once, and its query is stopped as a deadline
// stops it: cancelled in PostgreSQL, the connection back in the pool only once
// the query has ended (Pool::cancel). Statements pipelined behind it cannot stay
// on that connection (Pool::cancel closes it: PgConnection::abandon), so the
// sections left run on another one, from a new place in the pool's queue.
void SectionTask::truncate() {
    auto& r = host_.result(sections_[next_]);
    r.truncated = true;
    r.status = SectionStatus::Ok;
    r.end_ms = host_.since_start();
    r.elapsed_ms = ms_between(query_start_, host_.loop().now());
    query_running_ = false;
    host_.on_query_stopped();
    ++next_;
    pipelined_ = 0;
    pg::PgConnection& conn = *conn_;
    conn_ = nullptr;
    if (shared_) {
        shared_ = false;
        host_.pool().detach(conn, this);  // the rest of its rows are discarded on arrival
    } else {
        host_.pool().cancel(conn);
    }
    if (next_ < sections_.size()) {
        start();
    } else {
        done();
    }
}

void SectionTask::on_query_end(pg::PgConnection& conn) {
    query_running_ = false;
    host_.on_query_stopped();
    std::size_t section = sections_[next_];
    auto& r = host_.result(section);
    if (((pipelined_ > 0 || shared_) && conn.statement_redo()) || conflict_retry_) {
        // It did not run (PgConnection::statement_redo), or a standby cancelled
        // it (a recovery conflict): again, on its own, after the pipeline or the
        // sections still to run.
        conflict_retry_ = false;
        r.begin_ms = -1;
        sections_.push_back(section);
    } else {
        r.end_ms = host_.since_start();
        r.elapsed_ms = ms_between(query_start_, host_.loop().now());
        if (!error_seen_) r.status = SectionStatus::Ok;
    }
    ++next_;
    if (pipelined_ > 0 && --pipelined_ > 0) {
        begin_section();
        return;
    }
    if (shared_) {  // the statement was its whole share of the connection
        shared_ = false;
        conn_ = nullptr;
        if (next_ < sections_.size()) {
            enqueue(false);
        } else {
            done();
        }
        return;
    }
    // A failing section does not stop the later ones: each ran in its own
    // implicit transaction (README, "HTTP interface").
    run_next();
}

void SectionTask::on_connection_lost(pg::PgConnection&, const std::string& why) {
    query_running_ = false;
    pipelined_ = 0;
    shared_ = false;
    host_.on_query_stopped();
    conn_ = nullptr;
    // The whole text goes to the log; the page gets no server address (README, "Security").
    spdlog::warn("report {}: connection to PostgreSQL lost: {}", host_.report().name, why);
    fail_rest(std::string(model::sqlstate::kConnectionFailure),
              "connection to PostgreSQL lost: " + model::public_connection_error(why));
}

void SectionTask::on_notice(pg::PgConnection&, const PGresult* notice) {
    host_.on_notice(notice);
}

// Cancelled on its shared connection because it held other pages' statements
// behind it; PostgreSQL rolled it back (docs/ARCHITECTURE.md, "Sharing a
// connection between pages").
void SectionTask::on_requeue(pg::PgConnection&) {
    query_running_ = false;
    host_.on_query_stopped();
    shared_ = false;
    conn_ = nullptr;
    std::size_t section = sections_[next_];
    host_.clear_rows(section);
    host_.result(section).begin_ms = -1;
    rows_ = 0;
    error_seen_ = false;
    no_share_ = true;
    enqueue(true);
}

void SectionTask::fail_rest(const std::string& sqlstate, const std::string& message) {
    for (std::size_t i = next_; i < sections_.size(); ++i) {
        auto& r = host_.result(sections_[i]);
        r.status = SectionStatus::Error;
        r.sqlstate = sqlstate;
        r.message = message;
    }
    host_.on_section_error(sqlstate, message);
    next_ = sections_.size();
    done();
}

void SectionTask::done() {
    if (conn_) {
        host_.pool().release(*conn_);
        conn_ = nullptr;
    }
    finished_ = true;
    host_.on_task_done();
}

std::vector<std::unique_ptr<SectionTask>> make_tasks(TaskHost& host,
                                                     const reports::Report& report) {
    std::vector<std::unique_ptr<SectionTask>> tasks;
    std::size_t n = report.sections.size();
    if (report.parallel) {
        for (std::size_t i = 0; i < n; ++i)
            tasks.push_back(std::make_unique<SectionTask>(host, std::vector<std::size_t>{i}));
    } else {
        std::vector<std::size_t> all(n);
        for (std::size_t i = 0; i < n; ++i)
            all[i] = i;
        tasks.push_back(std::make_unique<SectionTask>(host, std::move(all)));
    }
    return tasks;
}

}  // namespace asyncpage::run
