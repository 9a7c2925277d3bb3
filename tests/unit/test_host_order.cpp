// pg::HostOrder: which dsns spread their connections over the listed hosts, and
// that a shuffled order keeps each host with its own port.
#include <boost/test/unit_test.hpp>

#include <map>
#include <random>
#include <set>

#include "pg/host_order.hpp"

using asyncpage::pg::HostOrder;

namespace {
std::map<std::string, std::string> as_map(
    const std::vector<std::pair<std::string, std::string>>& v) {
    return {v.begin(), v.end()};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(host_order)

BOOST_AUTO_TEST_CASE(only_dsns_that_ask_for_standbys_spread) {
    BOOST_TEST(HostOrder("host=a,b target_session_attrs=prefer-standby").spreads());
    BOOST_TEST(HostOrder("host=a,b target_session_attrs=standby").spreads());
    BOOST_TEST(HostOrder("host=a,b target_session_attrs=read-only").spreads());
    BOOST_TEST(HostOrder("postgresql://a,b/db?target_session_attrs=prefer-standby").spreads());
    // Failover lists keep their order: the first host is the one meant.
    BOOST_TEST(!HostOrder("host=a,b").spreads());
    BOOST_TEST(!HostOrder("host=a,b target_session_attrs=read-write").spreads());
    BOOST_TEST(!HostOrder("host=a,b target_session_attrs=primary").spreads());
    BOOST_TEST(!HostOrder("host=a target_session_attrs=standby").spreads());
    BOOST_TEST(!HostOrder("host='unclosed").spreads());
    std::mt19937 rng(1);
    BOOST_TEST(HostOrder("host=a,b").next(rng).empty());
}

BOOST_AUTO_TEST_CASE(every_host_comes_first_and_keeps_its_port) {
    HostOrder order(
        "host=a,b,c hostaddr=10.0.0.1,10.0.0.2,10.0.0.3 port=5432,5433,5434 "
        "dbname=x target_session_attrs=prefer-standby");
    const std::map<char, std::pair<std::string, std::string>> own = {
        {'a', {"10.0.0.1", "5432"}}, {'b', {"10.0.0.2", "5433"}}, {'c', {"10.0.0.3", "5434"}}};
    std::mt19937 rng(42);
    std::set<char> first;
    for (int i = 0; i < 200; ++i) {
        auto kv = as_map(order.next(rng));
        BOOST_TEST_REQUIRE(kv.size() == 3u);
        const std::string& hosts = kv["host"];
        BOOST_TEST_REQUIRE(hosts.size() == 5u);
        first.insert(hosts[0]);
        for (std::size_t k = 0; k < 3; ++k) {
            char h = hosts[2 * k];
            BOOST_TEST(kv["hostaddr"].substr(9 * k, 8) == own.at(h).first,
                       hosts << " " << kv["hostaddr"]);
            BOOST_TEST(kv["port"].substr(5 * k, 4) == own.at(h).second, hosts << " " << kv["port"]);
        }
    }
    BOOST_TEST(first.size() == 3u, "not every host came first in 200 orders");
}

BOOST_AUTO_TEST_CASE(one_port_for_every_host_stays_as_it_is) {
    HostOrder order("host=a,b port=6000 target_session_attrs=standby");
    std::mt19937 rng(7);
    auto kv = as_map(order.next(rng));
    BOOST_TEST(kv.count("port") == 0u);
    BOOST_TEST((kv["host"] == "a,b" || kv["host"] == "b,a"), kv["host"]);
}

// A server whose connection broke is tried last, in failover lists too; the
// keys are what PQhost and PQport give (host if given, else hostaddr; the port
// per host, shared, or the default).
BOOST_AUTO_TEST_CASE(hosts_that_are_down_come_last) {
    std::mt19937 rng(3);
    HostOrder failover("host=/run/bouncer,10.0.0.11 port=6432,5432 dbname=x");
    BOOST_TEST(failover.next(rng).empty(), "no host down: the dsn's own order");
    auto kv = as_map(failover.next(rng, {HostOrder::key("/run/bouncer", "6432")}));
    BOOST_TEST(kv["host"] == "10.0.0.11,/run/bouncer");
    BOOST_TEST(kv["port"] == "5432,6432");
    BOOST_TEST(failover.next(rng, {HostOrder::key("10.0.0.11", "5432")}).empty(),
               "the last host down: the order is the dsn's");

    HostOrder shared("hostaddr=10.0.0.1,10.0.0.2 port=6000 target_session_attrs=standby");
    for (int i = 0; i < 20; ++i) {
        auto order = as_map(shared.next(rng, {HostOrder::key("10.0.0.1", "6000")}));
        BOOST_TEST(order["hostaddr"] == "10.0.0.2,10.0.0.1");
    }
    HostOrder defaults("host=a,b");
    BOOST_TEST(as_map(defaults.next(rng, {HostOrder::key("a", "5432")}))["host"] == "b,a");
}

BOOST_AUTO_TEST_SUITE_END()
