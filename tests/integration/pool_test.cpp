// The connection pool: connections killed with pg_terminate_backend are replaced,
// and a connect that never completes does not block the worker's loop (DESIGN §5:
// PQconnectStart/PQconnectPoll) while the page answers 503 by its deadline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "support/pg.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

namespace {

// A TCP port that completes the handshake (kernel backlog) but never says a word:
// what a hung PostgreSQL looks like to libpq.
class SilentListener {
  public:
    SilentListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(fd_, 128) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            throw std::runtime_error("cannot open the silent listener");
        }
        port_ = ntohs(addr.sin_port);
    }
    ~SilentListener() { ::close(fd_); }
    int port() const { return port_; }

  private:
    int fd_ = -1;
    int port_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(pool)

BOOST_AUTO_TEST_CASE(terminated_connections_are_replaced) {
    Stack& s = integration_stack();
    Pg pg;
    Response first = s.get("/reports/trivial?format=json");
    BOOST_TEST_REQUIRE(first.status == 200, first.summary() << ": " << first.body);

    // The page pool's connections (the job runner's pool has the same
    // application_name, but is not counted in these metrics).
    Metrics m0 = s.metrics();
    double lost_before = m0.value("asyncpage_pg_connections_lost_total");
    double pooled = m0.value("asyncpage_pool_connections");
    std::vector<int> before = pg.backend_pids(s.server().application_name());
    BOOST_TEST_REQUIRE(!before.empty(), "no asyncpage backend in pg_stat_activity after a page");
    int killed = pg.terminate_backends(s.server().application_name());
    BOOST_TEST_MESSAGE("terminated " << killed << " of " << before.size() << " asyncpage backends");
    BOOST_TEST(killed >= 1);
    bool old_gone = wait_until(
        [&] {
            auto now = pg.backend_pids(s.server().application_name());
            return std::none_of(before.begin(), before.end(), [&](int p) {
                return std::find(now.begin(), now.end(), p) != now.end();
            });
        },
        2s);
    BOOST_TEST_REQUIRE(old_gone, "terminated backends still listed after 2 s");

    // "Shortly after": the worker sees the broken connections (their sockets report
    // EOF) while they are idle, counts them lost and must not hand them to pages.
    double lost = 0;
    bool seen = wait_until(
        [&] {
            lost = s.metrics().value("asyncpage_pg_connections_lost_total") - lost_before;
            return lost >= pooled;
        },
        2s);
    BOOST_TEST(seen,
               "only " << lost << " of " << pooled << " terminated pooled connections seen lost");
    for (int i = 0; i < 10; ++i) {
        Response r = s.get("/reports/trivial?format=json");
        BOOST_TEST(r.status == 200,
                   "page " << i << " after terminate: " << r.summary() << ": " << r.body);
        if (r.status == 200) BOOST_TEST(parse_json(r)["status"] == "ok");
    }
    std::vector<int> after = pg.backend_pids(s.server().application_name());
    BOOST_TEST(!after.empty(), "no replacement backend");
    for (int p : after) {
        BOOST_TEST((std::find(before.begin(), before.end(), p) == before.end()),
                   "backend " << p << " survived pg_terminate_backend");
    }
    BOOST_TEST_MESSAGE("backends before: " << before.size() << ", after: " << after.size());
}

BOOST_AUTO_TEST_CASE(stuck_connect_does_not_block_the_loop) {
    SilentListener silent;
    ServerOptions o;
    o.workers = 1;
    o.dsn = "host=127.0.0.1 port=" + std::to_string(silent.port()) +
            " dbname=asyncpage_test user=postgres";
    o.config["default_timeout"] = toml_string("1s");
    Stack s(o);

    auto page = request_async(s.request("/reports/trivial?format=json", 10000));
    bool connecting = wait_until(
        [&] {
            return s.metrics().value("asyncpage_pool_connections", {{"state", "connecting"}}) >= 1;
        },
        800ms);
    BOOST_TEST_REQUIRE(connecting, "the page's connect never started");
    // The page is stuck in its connect now; the loop must still serve everything else.
    Response metrics = s.get("/metrics", {}, 5000);
    Response index = s.get("/", {}, 5000);
    Response r = page.get();
    BOOST_TEST_MESSAGE("stuck connect: page " << r.summary() << "; /metrics meanwhile "
                                              << metrics.summary() << "; / meanwhile "
                                              << index.summary());
    BOOST_TEST(metrics.status == 200);
    BOOST_TEST(metrics.seconds < 0.3);
    BOOST_TEST(index.status == 200);
    BOOST_TEST(index.seconds < 0.3);
    BOOST_TEST(r.status == 503, r.summary() << ": " << r.body);
    BOOST_TEST(r.seconds < 1.5);
    BOOST_TEST(r.seconds >= 0.9, "answered before the 1 s deadline: " << r.seconds);

    // Several pages at once each keep their own deadline (not one after another).
    std::vector<Request> reqs(3, s.request("/reports/trivial?format=json", 10000));
    for (const Response& x : run_concurrent(reqs)) {
        BOOST_TEST(x.status == 503, x.summary());
        BOOST_TEST(x.seconds < 1.5);
    }
    Response health = s.get("/healthz", {}, 8000);
    BOOST_TEST_MESSAGE("/healthz without a database: " << health.summary());
    BOOST_TEST(health.status == 503);
}

BOOST_AUTO_TEST_SUITE_END()
