// Statements: one-shot statements on a pool, each a connection waiter and query
// observer of its own that ends in exactly one callback. A statement that is
// over arms a zero-delay timer of its own, so its callback runs outside the
// pool's and the connection's callbacks; a statement stopped before (the
// Statements destroyed) takes that timer with it.
#include "pg/statements.hpp"

#include <fmt/format.h>

#include "model/pg_error.hpp"

namespace asyncpage::pg {

class Statements::Stmt final : public ConnectionWaiter, public QueryObserver {
  public:
    Stmt(Statements& owner, Id id, std::string sql, std::vector<Param> params, Callback cb)
        : owner_(owner),
          id_(id),
          sql_(std::move(sql)),
          params_(std::move(params)),
          callback_(std::move(cb)) {}

    ~Stmt() override { stop(); }

    void start(const std::string& share) {
        timer_ = owner_.loop_.add_timer(owner_.timeout_, [this] {
            timer_ = 0;
            stop();
            fail(std::string(model::sqlstate::kQueryCanceled),
                 fmt::format("statement did not finish within {} ms", owner_.timeout_.count()));
        });
        waiting_ = true;
        owner_.pool_.acquire(share, 0, this);
    }

    // Forgets the wait or cancels the running statement; no callback.
    void stop() {
        owner_.loop_.cancel_timer(timer_);
        timer_ = 0;
        if (waiting_) {
            owner_.pool_.forget(this);
            waiting_ = false;
        }
        if (conn_) {
            owner_.pool_.cancel(*conn_);
            conn_ = nullptr;
        }
    }

    Callback take_callback() { return std::move(callback_); }
    Outcome outcome;

  private:
    void on_connection(PgConnection& conn) override {
        waiting_ = false;
        conn_ = &conn;
        std::vector<const char*> values;
        values.reserve(params_.size());
        for (auto& p : params_)
            values.push_back(p ? p->c_str() : nullptr);
        if (!conn.send_prepared(sql_, static_cast<int>(values.size()), nullptr, values.data(),
                                false, this)) {
            conn_ = nullptr;
            fail(std::string(model::sqlstate::kConnectionFailure),
                 "connection to PostgreSQL lost while sending");
        }
    }

    void on_result(PgConnection&, model::PgResultPtr res) override {
        auto st = PQresultStatus(res.get());
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
            if (!error_) outcome.result = std::move(res);
            return;
        }
        error_ = true;
        outcome.sqlstate = model::error_field(res.get(), PG_DIAG_SQLSTATE);
        outcome.message = model::error_field(res.get(), PG_DIAG_MESSAGE_PRIMARY);
        if (outcome.message.empty()) outcome.message = PQresultErrorMessage(res.get());
        outcome.result.reset();
    }

    void on_query_end(PgConnection& conn) override {
        owner_.pool_.release(conn);
        conn_ = nullptr;
        outcome.ok = !error_;
        complete();
    }

    void on_connection_lost(PgConnection&, const std::string& why) override {
        conn_ = nullptr;
        fail(std::string(model::sqlstate::kConnectionFailure),
             "connection to PostgreSQL lost: " + why);
    }

    void fail(std::string sqlstate, std::string message) {
        outcome.ok = false;
        outcome.result.reset();
        outcome.sqlstate = std::move(sqlstate);
        outcome.message = std::move(message);
        complete();
    }

    // Over: the timeout timer becomes the one that delivers the outcome.
    void complete() {
        owner_.loop_.cancel_timer(timer_);
        timer_ = owner_.loop_.add_timer(Millis(0), [this] {
            timer_ = 0;
            owner_.finish(id_);
        });
    }

    Statements& owner_;
    Id id_;
    std::string sql_;
    std::vector<Param> params_;
    Callback callback_;
    PgConnection* conn_ = nullptr;
    loop::TimerId timer_ = 0;
    bool waiting_ = false;
    bool error_ = false;
};

Statements::Statements(loop::EventLoop& loop, Pool& pool, Millis timeout)
    : loop_(loop), pool_(pool), timeout_(timeout) {}

Statements::~Statements() {
    running_.clear();  // each Stmt stops itself
}

Statements::Id Statements::run(const std::string& share, std::string sql, std::vector<Param> params,
                               Callback callback) {
    Id id = next_id_++;
    auto stmt =
        std::make_unique<Stmt>(*this, id, std::move(sql), std::move(params), std::move(callback));
    Stmt* raw = stmt.get();
    running_.emplace(id, std::move(stmt));
    raw->start(share);  // may complete synchronously (a broken send)
    return id;
}

void Statements::finish(Id id) {
    auto node = running_.extract(id);
    if (node.empty()) return;
    Callback cb = node.mapped()->take_callback();
    Outcome outcome = std::move(node.mapped()->outcome);
    loop_.close_later(std::move(node.mapped()));
    if (cb) cb(outcome);
}

}  // namespace asyncpage::pg
