// Read replicas (README, "Beyond one machine"): `dsn` listing streaming standbys
// and the primary with target_session_attrs, against real standbys of the test
// cluster (pg_basebackup -R).
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "support/conninfo.hpp"
#include "support/env.hpp"
#include "support/pg.hpp"
#include "support/stack.hpp"
#include "support/standby.hpp"
#include "support/text.hpp"

using namespace support;
using nlohmann::json;

namespace {

// `hosts` in the given order, then the primary, with prefer-standby.
std::string replica_dsn(const std::vector<const Standby*>& standbys) {
    auto primary = parse_conninfo(test_dsn());
    std::string hosts, ports;
    for (const Standby* s : standbys) {
        hosts += s->host() + ",";
        ports += std::to_string(s->port()) + ",";
    }
    hosts += primary["host"];
    ports += primary.count("port") ? primary["port"] : "5432";
    return test_dsn_with(
        {{"host", hosts}, {"port", ports}, {"target_session_attrs", "prefer-standby"}});
}

json where(const Stack& s) {
    Response r = s.get("/reports/where?format=json");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body);
    return section(parse_json(r), "server")["rows"][0];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(replicas)

// Pages go to the standby; once it stops, to the primary at the next connect,
// without a restart of asyncpage.
BOOST_AUTO_TEST_CASE(pages_run_on_the_standby_then_on_the_primary_once_it_stops) {
    Standby standby;
    ServerOptions o;
    o.dsn = replica_dsn({&standby});
    Stack s(o);
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(where(s)[0] == true, "a page ran on the primary while the standby was up");

    standby.stop();
    auto stopped = Clock::now();
    // Pages in between may be 503 (the pool's connections broke with the standby).
    bool on_primary = wait_until(
        [&] {
            Response r = s.get("/reports/where?format=json");
            return r.status == 200 && section(parse_json(r), "server")["rows"][0][0] == false;
        },
        10s, 100ms);
    BOOST_TEST_MESSAGE("pages on the primary " << seconds_since(stopped)
                                               << " s after the standby stopped");
    BOOST_TEST_REQUIRE(on_primary, "pages never reached the primary: " << s.server().log_tail());
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(where(s)[0] == false);
}

// libpq 15 takes the first standby it finds in the listed order: asyncpage
// shuffles the list per connection, so a pool's connections spread over every
// listed standby.
BOOST_AUTO_TEST_CASE(connections_spread_over_every_listed_standby) {
    Standby first, second;
    ServerOptions o;
    o.dsn = replica_dsn({&first, &second});
    Stack s(o);
    // Sixteen slow pages at once: the pool opens a connection for each.
    std::vector<Request> batch(16, s.request("/reports/where?ms=300&format=json"));
    std::set<std::string> sockets;
    for (const Response& r : run_concurrent(batch)) {
        BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body);
        json row = section(parse_json(r), "server")["rows"][0];
        BOOST_TEST(row[0] == true, "a page ran on the primary: " << r.body);
        sockets.insert(row[2].get<std::string>());
    }
    const std::string app = s.server().application_name();
    int on_first = Pg(first.dsn()).count_backends(app);
    int on_second = Pg(second.dsn()).count_backends(app);
    BOOST_TEST_MESSAGE("asyncpage connections: " << on_first << " on the first standby, "
                                                 << on_second << " on the second");
    BOOST_TEST(on_first > 0, "no connection on the first standby");
    BOOST_TEST(on_second > 0, "no connection on the second standby");
    BOOST_TEST(sockets.size() == 2u, "pages answered by " << sockets.size() << " standbys");
}

// A standby cancels a read that holds what replay must change ("canceling
// statement due to conflict with recovery", SQLSTATE 40001): the section runs
// once more within the page's deadline, and the page is complete.
BOOST_AUTO_TEST_CASE(a_recovery_conflict_is_run_once_more) {
    prepare_test_schema();
    Pg primary;
    primary.exec("INSERT INTO asyncpage_test_conflict SELECT g FROM generate_series(1, 3) g");
    Standby standby("max_standby_streaming_delay = 100ms\nhot_standby_feedback = off");
    ServerOptions o;
    o.dsn = standby.dsn();
    Stack s(o);
    const std::string app = s.server().application_name();
    auto page = run_concurrent_async({s.request("/reports/recovery_conflict?format=json")});
    Pg on_standby(standby.dsn());
    BOOST_TEST_REQUIRE(
        wait_until([&] { return on_standby.count_active(app, "%asyncpage_test_conflict%") == 1; },
                   10s),
        "the report never ran on the standby");
    // Its AccessExclusiveLock, replayed on the standby, conflicts with the read.
    primary.exec("TRUNCATE asyncpage_test_conflict");

    Response r = page.get().at(0);
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body << s.server().log_tail());
    json sec = section(parse_json(r), "rows");
    BOOST_TEST(sec["status"] == "ok", r.body);
    BOOST_TEST(sec["rows"][0][0] == 0, "the second run reads the truncated table: " << r.body);
    BOOST_TEST(contains(s.server().log_tail(100), "conflict with recovery"), s.server().log_tail());
}

BOOST_AUTO_TEST_SUITE_END()
