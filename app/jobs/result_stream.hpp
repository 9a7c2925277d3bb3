#pragma once
// Reads a stored job result back chunk by chunk (single-row mode, one chunk of rows
// per libpq result) on the result pool, so that answering /jobs/ID/result holds one
// chunk at a time however large the result is. The sink may pause the stream
// while its output backs up, and stop it (the query is cancelled in PostgreSQL).
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "pg/pool.hpp"

namespace asyncpage::jobs {

class ResultStream final : public pg::ConnectionWaiter, public pg::QueryObserver {
  public:
    // One chunk: the section's position and the chunk's rows (codec's chunk text).
    using OnChunk = std::function<void(int position, std::string_view rows)>;
    // The end: ok, or why not (sqlstate, message). Not called after stop().
    using OnEnd =
        std::function<void(bool ok, const std::string& sqlstate, const std::string& message)>;

    ResultStream(pg::Pool& pool, std::string job_id, std::optional<int> position, OnChunk on_chunk,
                 OnEnd on_end);
    ~ResultStream() override;  // stop()
    ResultStream(const ResultStream&) = delete;
    ResultStream& operator=(const ResultStream&) = delete;

    void start();
    // Forgets the wait or cancels the query; no more callbacks.
    void stop();
    void pause(bool paused);

  private:
    void on_connection(pg::PgConnection& conn) override;
    void on_result(pg::PgConnection& conn, model::PgResultPtr result) override;
    void on_query_end(pg::PgConnection& conn) override;
    void on_connection_lost(pg::PgConnection& conn, const std::string& why) override;
    void end(bool ok, const std::string& sqlstate, const std::string& message);

    pg::Pool& pool_;
    std::string job_id_;
    std::optional<int> position_;
    OnChunk on_chunk_;
    OnEnd on_end_;
    pg::PgConnection* conn_ = nullptr;
    bool waiting_ = false;
    bool done_ = false;
    bool error_ = false;
    std::string sqlstate_, message_;
};

}  // namespace asyncpage::jobs
