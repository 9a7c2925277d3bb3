#pragma once
// PgBouncer (Debian 12 ships 1.18) in front of the test cluster, in transaction
// mode, on a Unix socket in a temp dir of its own; stopped on destruction. Run as
// the cluster's OS user when the tests run as root (PgBouncer refuses root).
#include <sys/types.h>

#include <string>
#include <vector>

#include "support/env.hpp"

namespace support {

class PgBouncer {
  public:
    // `server_connections`: PgBouncer's default_pool_size, the server connections
    // all its clients share (small, so that consecutive transactions of one
    // client land on different server connections). `extra_users`: roles besides
    // the test dsn's that may connect through it.
    explicit PgBouncer(int server_connections = 2,
                       const std::vector<std::string>& extra_users = {});
    ~PgBouncer();
    PgBouncer(const PgBouncer&) = delete;
    PgBouncer& operator=(const PgBouncer&) = delete;

    // test_dsn() with host and port replaced by PgBouncer's.
    std::string dsn() const;
    // The same for another role.
    std::string dsn_as(const std::string& user) const;
    std::string log_tail(int lines = 40) const;

  private:
    TempDir dir_{"asyncpage-pgbouncer"};
    pid_t pid_ = 0;
    int port_ = 6432;
};

}  // namespace support
