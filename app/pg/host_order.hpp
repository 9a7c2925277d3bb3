#pragma once
// Spreads a pool's connections over the hosts its dsn lists when the dsn asks
// for standbys (target_session_attrs = standby, prefer-standby or read-only):
// libpq 15 tries hosts in their listed order and has no load_balance_hosts
// (that is libpq 16), so each connection gets the list in an order of its own.
// Any other dsn keeps its order: there, later hosts are failover targets.
// Either way a host that just failed (`down`) goes to the end of the list: a
// transaction pooler in front of a dead server still accepts logins (PgBouncer
// answers them from its cached server parameters), so libpq alone would keep
// connecting to it (README, "Beyond one machine").
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace asyncpage::pg {

class HostOrder {
  public:
    explicit HostOrder(const std::string& dsn);
    bool spreads() const { return spreads_; }
    // "host:port" as PQhost and PQport name a connection's server.
    static std::string key(const std::string& host, const std::string& port);
    // host, hostaddr and port (those the dsn lists per host) in the order for
    // the next connection, each host keeping its own address and port: shuffled
    // if spreads(), the hosts in `down` (keys) last. Empty when that order is
    // the dsn's own.
    std::vector<std::pair<std::string, std::string>> next(
        std::mt19937& rng, const std::vector<std::string>& down = {}) const;

  private:
    bool spreads_ = false;
    std::size_t count_ = 0;
    std::vector<std::string> keys_;  // per host
    // keyword -> its comma-separated values (one per host, or one for all).
    std::vector<std::pair<std::string, std::vector<std::string>>> lists_;
};

}  // namespace asyncpage::pg
