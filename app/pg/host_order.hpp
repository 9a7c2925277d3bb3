#pragma once
// Spreads a pool's connections over the hosts its dsn lists when the dsn asks
// for standbys (target_session_attrs = standby, prefer-standby or read-only):
// libpq 15 tries hosts in their listed order and has no load_balance_hosts
// (that is libpq 16), so each connection gets the list in an order of its own.
// Any other dsn keeps its order: there, later hosts are failover targets.
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace asyncpage::pg {

class HostOrder {
  public:
    explicit HostOrder(const std::string& dsn);
    bool spreads() const { return spreads_; }
    // host, hostaddr and port (those the dsn lists per host) in one random
    // order, each host keeping its own address and port; empty unless spreads().
    std::vector<std::pair<std::string, std::string>> next(std::mt19937& rng) const;

  private:
    bool spreads_ = false;
    std::size_t count_ = 0;
    // keyword -> its comma-separated values (one per host, or one for all).
    std::vector<std::pair<std::string, std::vector<std::string>>> lists_;
};

}  // namespace asyncpage::pg
