#pragma once
// Short bookkeeping statements (the jobs tables) run through a pool without
// blocking the loop: run() queues one statement and calls back exactly once with
// its outcome, after a result, an error, a lost connection or the timeout.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pg/pool.hpp"

namespace asyncpage::pg {

struct Outcome {
    bool ok = false;
    model::PgResultPtr result;  // the statement's (last) result when ok
    std::string sqlstate;       // otherwise
    std::string message;

    int rows() const { return result ? PQntuples(result.get()) : 0; }
    bool is_null(int row, int col) const { return PQgetisnull(result.get(), row, col) != 0; }
    std::string text(int row, int col) const { return PQgetvalue(result.get(), row, col); }
};

using Param = std::optional<std::string>;  // nullopt is NULL

class Statements {
  public:
    using Id = std::uint64_t;
    using Callback = std::function<void(Outcome& outcome)>;

    Statements(loop::EventLoop& loop, Pool& pool, Millis timeout);
    ~Statements();  // stops what is still running, without callbacks
    Statements(const Statements&) = delete;
    Statements& operator=(const Statements&) = delete;

    // Parameters are sent as text with types left to the server (cast in SQL:
    // "$1::uuid"). `share` queues it fairly against other kinds of statements.
    // The callback runs from the loop, never before run() returned.
    Id run(const std::string& share, std::string sql, std::vector<Param> params, Callback callback);
    std::size_t in_flight() const { return running_.size(); }

  private:
    class Stmt;
    void finish(Id id);

    loop::EventLoop& loop_;
    Pool& pool_;
    Millis timeout_;
    Id next_id_ = 1;
    std::unordered_map<Id, std::unique_ptr<Stmt>> running_;
};

}  // namespace asyncpage::pg
