// The pool's transitions against fake connections (no server): connect on
// demand, release, cancel (only back once the query ended and the cancel was
// sent), a broken connection discarded and replaced, reconnect backoff, share
// caps and FIFO order across shares, and the abandoned pipeline.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/backoff.hpp"
#include "pg/pool.hpp"

using asyncpage::Clock;
using asyncpage::Millis;
using asyncpage::reconnect_backoff;
using asyncpage::loop::EventLoop;
namespace pg = asyncpage::pg;
using pg::PgConnState;

namespace asyncpage::pg {
// So that a failed check prints the state's name.
std::ostream& operator<<(std::ostream& os, PgConnState s) {
    return os << to_string(s);
}
}  // namespace asyncpage::pg

namespace {

// A connection with no server: the test says when it connects, fails, runs and
// ends a query; the state changes are PgConnection's own.
class FakeConnection final : public pg::PgConnection {
  public:
    explicit FakeConnection(const pg::ConnectionSetup& setup) : PgConnection(setup) {}

    void connect(const char* const*, const char* const*, Millis) override {}
    PGcancel* cancel_key() override { return nullptr; }  // the Canceller reports it sent

    void succeed() { connected(); }
    void lose(const std::string& why) { fail(why); }
    void begin(pg::QueryObserver* observer) { query_started(observer); }
    void begin_pipeline(pg::QueryObserver* observer, std::size_t statements) {
        pipe_.emplace();
        pipe_->slots.resize(statements);
        query_started(observer);
    }
    void end() { query_over(); }
};

struct Task final : pg::ConnectionWaiter, pg::QueryObserver {
    explicit Task(std::string name, std::vector<std::string>* order = nullptr)
        : name(std::move(name)), order(order) {}
    void on_connection(pg::PgConnection& c) override {
        conn = &c;
        if (order) order->push_back(name);
    }
    void on_result(pg::PgConnection&, asyncpage::model::PgResultPtr) override {}
    void on_query_end(pg::PgConnection&) override { ++ended; }
    void on_connection_lost(pg::PgConnection&, const std::string&) override {
        conn = nullptr;
        ++lost;
    }
    FakeConnection& fake() const { return static_cast<FakeConnection&>(*conn); }

    std::string name;
    std::vector<std::string>* order;
    pg::PgConnection* conn = nullptr;
    int ended = 0;
    int lost = 0;
};

struct Harness {
    explicit Harness(int size, double share = 0.5)
        : pool(loop, options(size, share), [this](const pg::ConnectionSetup& setup) {
              auto c = std::make_unique<FakeConnection>(setup);
              made.push_back(c.get());
              return c;
          }) {}

    static pg::PoolOptions options(int size, double share) {
        pg::PoolOptions o;
        o.size = size;
        o.share = share;
        return o;
    }
    // One loop pass: deferred dispatches, cancels reported sent, closings.
    void pass() { loop.run_once(0); }
    pg::PoolStats stats() const { return pool.stats(); }

    EventLoop loop;
    std::vector<FakeConnection*> made;  // every connection the pool made, in order
    pg::Pool pool;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(pool)

BOOST_AUTO_TEST_CASE(acquire_connects_on_demand_and_hands_over_once_connected) {
    Harness h(4);
    Task a("a");
    h.pool.acquire("r", 0, &a);
    BOOST_TEST(h.made.size() == 1u);
    BOOST_TEST(h.stats().connecting == 1);
    BOOST_TEST(h.stats().waiting == 1);
    BOOST_TEST(a.conn == nullptr);

    h.made[0]->succeed();
    BOOST_REQUIRE(a.conn == h.made[0]);
    BOOST_TEST(a.conn->state() == PgConnState::Busy);
    BOOST_REQUIRE(a.conn->owner() != nullptr);
    BOOST_TEST(a.conn->owner()->name == "r");
    BOOST_TEST(a.conn->owner()->in_use() == 1);
    auto st = h.stats();
    BOOST_TEST(st.connecting == 0);
    BOOST_TEST(st.busy == 1);
    BOOST_TEST(st.idle == 0);
    BOOST_TEST(st.waiting == 0);
    BOOST_TEST(st.connects == 1u);
}

BOOST_AUTO_TEST_CASE(release_makes_idle_and_the_next_waiter_reuses_it) {
    Harness h(4);
    Task a("a"), b("b");
    h.pool.acquire("r", 0, &a);
    h.made[0]->succeed();
    pg::Share* share = a.conn->owner();
    h.pool.release(*a.conn);
    BOOST_TEST(h.made[0]->state() == PgConnState::Idle);
    BOOST_TEST(h.made[0]->owner() == nullptr);
    BOOST_TEST(share->in_use() == 0);
    BOOST_TEST(h.stats().idle == 1);
    BOOST_TEST(h.stats().busy == 0);

    h.pool.acquire("r", 0, &b);
    BOOST_TEST(b.conn == h.made[0]);
    BOOST_TEST(h.made.size() == 1u);  // no second connect
    BOOST_TEST(h.stats().idle == 0);
    BOOST_TEST(h.stats().busy == 1);
}

BOOST_AUTO_TEST_CASE(cancelled_connection_returns_once_query_ended_and_cancel_sent) {
    Harness h(1, 1.0);
    Task a("a"), b("b");
    h.pool.acquire("r", 0, &a);
    h.made[0]->succeed();
    FakeConnection& c = a.fake();
    c.begin(&a);
    h.pool.cancel(c);
    BOOST_TEST(c.state() == PgConnState::Cancelling);
    auto st = h.stats();
    BOOST_TEST(st.cancelling == 1);
    BOOST_TEST(st.busy == 0);
    BOOST_TEST(st.cancels == 1u);
    BOOST_REQUIRE(c.owner() != nullptr);
    BOOST_TEST(c.owner()->in_use() == 1);  // the share still holds it

    h.pool.acquire("r", 0, &b);
    c.end();  // the query ended, the cancel request is not sent yet
    BOOST_TEST(c.state() == PgConnState::Cancelling);
    BOOST_TEST(b.conn == nullptr);
    BOOST_TEST(a.ended == 0);  // the observer was detached by the cancel

    h.pass();  // the Canceller reports the request sent
    BOOST_TEST(b.conn == &c);
    BOOST_TEST(h.stats().cancelling == 0);
    BOOST_TEST(h.stats().busy == 1);
}

BOOST_AUTO_TEST_CASE(cancel_sent_first_still_waits_for_the_query_to_end) {
    Harness h(1, 1.0);
    Task a("a");
    h.pool.acquire("r", 0, &a);
    h.made[0]->succeed();
    FakeConnection& c = a.fake();
    c.begin(&a);
    h.pool.cancel(c);
    h.pass();
    BOOST_TEST(c.state() == PgConnState::Cancelling);
    BOOST_TEST(h.stats().idle == 0);
    c.end();
    BOOST_TEST(c.state() == PgConnState::Idle);
    BOOST_TEST(h.stats().idle == 1);
    BOOST_TEST(h.stats().cancelling == 0);
}

BOOST_AUTO_TEST_CASE(cancel_without_a_running_query_is_a_release) {
    Harness h(1, 1.0);
    Task a("a");
    h.pool.acquire("r", 0, &a);
    h.made[0]->succeed();
    h.pool.cancel(*a.conn);
    BOOST_TEST(h.made[0]->state() == PgConnState::Idle);
    BOOST_TEST(h.stats().cancels == 0u);
    BOOST_TEST(h.stats().idle == 1);
}

BOOST_AUTO_TEST_CASE(broken_connection_is_discarded_and_replaced) {
    Harness h(1, 1.0);
    Task a("a"), b("b");
    h.pool.acquire("r", 0, &a);
    h.made[0]->succeed();
    pg::Share* share = a.conn->owner();
    h.pool.acquire("r", 0, &b);
    a.fake().begin(&a);
    a.fake().lose("server closed the connection");
    BOOST_TEST(a.lost == 1);
    BOOST_TEST(share->in_use() == 0);
    auto st = h.stats();
    BOOST_TEST(st.busy == 0);
    BOOST_TEST(st.broken == 1u);
    BOOST_TEST(h.made.size() == 1u);  // replaced after this pass's callbacks

    h.pass();
    BOOST_REQUIRE(h.made.size() == 2u);
    BOOST_TEST(h.stats().connecting == 1);
    h.made[1]->succeed();
    BOOST_TEST(b.conn == h.made[1]);
}

BOOST_AUTO_TEST_CASE(broken_idle_connection_leaves_the_idle_list) {
    Harness h(2);
    Task a("a");
    h.pool.acquire("r", 0, &a);
    h.made[0]->succeed();
    h.pool.release(*a.conn);
    BOOST_TEST(h.stats().idle == 1);
    h.made[0]->lose("terminated by administrator");
    BOOST_TEST(h.stats().idle == 0);
    BOOST_TEST(h.stats().broken == 1u);
    h.pass();
    BOOST_TEST(h.made.size() == 1u);  // no waiter: no replacement yet
}

BOOST_AUTO_TEST_CASE(backoff_doubles_up_to_five_seconds) {
    BOOST_TEST(reconnect_backoff(1).count() == 100);
    BOOST_TEST(reconnect_backoff(2).count() == 200);
    BOOST_TEST(reconnect_backoff(3).count() == 400);
    BOOST_TEST(reconnect_backoff(6).count() == 3200);
    BOOST_TEST(reconnect_backoff(7).count() == 5000);
    BOOST_TEST(reconnect_backoff(40).count() == 5000);
}

BOOST_AUTO_TEST_CASE(failed_connects_are_retried_with_backoff) {
    Harness h(4);
    Task a("a");
    h.pool.acquire("r", 0, &a);
    for (std::size_t failure = 1; failure <= 2; ++failure) {
        // The clock read before the loop's: the pool times its backoff from the latter.
        auto start = Clock::now();
        h.loop.update_now();
        h.made.back()->lose("connection refused");
        while (h.made.size() < failure + 1 && Clock::now() - start < std::chrono::seconds(3))
            h.loop.run_once(20);
        auto waited = std::chrono::duration_cast<Millis>(Clock::now() - start);
        BOOST_REQUIRE(h.made.size() == failure + 1);
        BOOST_TEST(waited.count() >= reconnect_backoff(int(failure)).count());
        BOOST_TEST(h.stats().connecting == 1);  // one at a time after a failure
    }
    BOOST_TEST(h.stats().broken == 2u);
    h.made.back()->succeed();
    BOOST_TEST(a.conn == h.made.back());
}

BOOST_AUTO_TEST_CASE(a_share_holds_at_most_its_cap) {
    Harness h(4);  // cap: 0.5 * 4 = 2
    std::vector<std::string> order;
    Task s1("s1", &order), s2("s2", &order), s3("s3", &order), f1("f1", &order);
    h.pool.acquire("slow", 0, &s1);
    h.pool.acquire("slow", 0, &s2);
    h.pool.acquire("slow", 0, &s3);
    h.pool.acquire("fast", 0, &f1);
    BOOST_TEST(h.made.size() == 3u);  // two for slow (its cap), one for fast
    for (auto* c : h.made)
        c->succeed();
    BOOST_TEST((order == std::vector<std::string>{"s1", "s2", "f1"}));
    BOOST_TEST(h.stats().waiting == 1);
    BOOST_TEST(s1.conn->owner()->in_use() == 2);

    h.pool.release(*f1.conn);  // idle, but slow is at its cap
    BOOST_TEST(s3.conn == nullptr);
    BOOST_TEST(h.stats().idle == 1);
    h.pool.release(*s1.conn);
    BOOST_TEST(s3.conn != nullptr);
    BOOST_TEST(h.stats().waiting == 0);
}

BOOST_AUTO_TEST_CASE(concurrency_lowers_the_cap) {
    Harness h(4);
    Task a("a"), b("b");
    h.pool.acquire("one", 1, &a);
    h.pool.acquire("one", 1, &b);
    BOOST_TEST(h.made.size() == 1u);
    h.made[0]->succeed();
    BOOST_TEST(a.conn != nullptr);
    BOOST_TEST(b.conn == nullptr);
}

BOOST_AUTO_TEST_CASE(waiters_are_served_in_wait_order_across_shares) {
    Harness h(2, 1.0);
    std::vector<std::string> order;
    Task x("x"), y("y"), a1("a1", &order), b1("b1", &order), a2("a2", &order);
    h.pool.acquire("c", 0, &x);
    h.pool.acquire("c", 0, &y);
    h.made[0]->succeed();
    h.made[1]->succeed();
    h.pool.acquire("a", 0, &a1);
    h.pool.acquire("b", 0, &b1);
    h.pool.acquire("a", 0, &a2);
    h.pool.forget(&a1);  // gave up: it is skipped
    BOOST_TEST(h.stats().waiting == 2);
    h.pool.release(*x.conn);
    h.pool.release(*y.conn);
    BOOST_TEST((order == std::vector<std::string>{"b1", "a2"}));
}

BOOST_AUTO_TEST_CASE(abandoned_pipeline_counts_until_its_cancel_is_sent) {
    Harness h(1, 1.0);
    Task a("a"), b("b");
    h.pool.acquire("r", 0, &a);
    h.made[0]->succeed();
    pg::Share* share = a.conn->owner();
    a.fake().begin_pipeline(&a, 3);
    h.pool.cancel(*a.conn);
    BOOST_TEST(h.made[0]->abandoned());
    BOOST_TEST(h.made[0]->state() == PgConnState::Cancelling);
    BOOST_TEST(h.stats().cancelling == 1);
    BOOST_TEST(h.stats().cancels == 1u);
    BOOST_TEST(share->in_use() == 1);
    h.pool.acquire("r", 0, &b);
    BOOST_TEST(h.made.size() == 1u);  // the pool is full until the cancel is sent

    h.pass();  // cancel sent: closed and discarded
    BOOST_TEST(h.stats().cancelling == 0);
    BOOST_TEST(share->in_use() == 0);
    h.pass();
    BOOST_REQUIRE(h.made.size() == 2u);
    h.made[1]->succeed();
    BOOST_TEST(b.conn == h.made[1]);
    BOOST_TEST(a.lost == 0);
}

BOOST_AUTO_TEST_SUITE_END()
