// ResultStream: one query over asyncpage.job_result_chunks, delivered row by row.
#include "jobs/result_stream.hpp"

#include <cstdlib>

#include "jobs/store.hpp"
#include "model/pg_error.hpp"

namespace asyncpage::jobs {

ResultStream::ResultStream(pg::Pool& pool, std::string job_id, std::optional<int> position,
                           OnChunk on_chunk, OnEnd on_end)
    : pool_(pool),
      job_id_(std::move(job_id)),
      position_(position),
      on_chunk_(std::move(on_chunk)),
      on_end_(std::move(on_end)) {}

ResultStream::~ResultStream() {
    stop();
}

void ResultStream::start() {
    waiting_ = true;
    pool_.acquire("jobs:result-read", 0, this);
}

void ResultStream::stop() {
    done_ = true;
    if (waiting_) {
        pool_.forget(this);
        waiting_ = false;
    }
    if (conn_) {
        pool_.cancel(*conn_);  // rejoins the pool once the query has ended
        conn_ = nullptr;
    }
}

void ResultStream::pause(bool paused) {
    if (!conn_) return;
    if (paused)
        conn_->pause_reading();
    else
        conn_->resume_reading();
}

void ResultStream::on_connection(pg::PgConnection& conn) {
    waiting_ = false;
    conn_ = &conn;
    auto [sql, params] = Store::chunks_query(job_id_, position_);
    std::vector<const char*> values;
    for (auto& p : params)
        values.push_back(p ? p->c_str() : nullptr);
    if (!conn.send_prepared(sql, static_cast<int>(values.size()), nullptr, values.data(), true,
                            this)) {
        conn_ = nullptr;  // the pool has dropped it
        end(false, std::string(model::sqlstate::kConnectionFailure),
            "connection to PostgreSQL lost while sending");
    }
}

void ResultStream::on_result(pg::PgConnection&, model::PgResultPtr res) {
    switch (PQresultStatus(res.get())) {
        case PGRES_SINGLE_TUPLE:
        case PGRES_TUPLES_OK:
            for (int i = 0; i < PQntuples(res.get()) && !done_; ++i) {
                on_chunk_(std::atoi(PQgetvalue(res.get(), i, 0)),
                          std::string_view(PQgetvalue(res.get(), i, 1),
                                           static_cast<std::size_t>(PQgetlength(res.get(), i, 1))));
            }
            break;
        default:
            error_ = true;
            sqlstate_ = model::error_field(res.get(), PG_DIAG_SQLSTATE);
            message_ = model::error_field(res.get(), PG_DIAG_MESSAGE_PRIMARY);
            if (message_.empty()) message_ = PQresultErrorMessage(res.get());
    }
}

void ResultStream::on_query_end(pg::PgConnection& conn) {
    pool_.release(conn);
    conn_ = nullptr;
    end(!error_, sqlstate_, message_);
}

void ResultStream::on_connection_lost(pg::PgConnection&, const std::string& why) {
    conn_ = nullptr;
    end(false, std::string(model::sqlstate::kConnectionFailure),
        "connection to PostgreSQL lost: " + why);
}

void ResultStream::end(bool ok, const std::string& sqlstate, const std::string& message) {
    if (done_) return;
    done_ = true;
    if (on_end_) on_end_(ok, sqlstate, message);
}

}  // namespace asyncpage::jobs
