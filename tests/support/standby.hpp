#pragma once
// A streaming standby of the test cluster (pg_basebackup -R from it), running
// on a socket dir and port of its own, as the cluster's OS user; stopped and
// removed on destruction. Needs ASYNCPAGE_TEST_PGUSER when run as root (scripts/test
// sets it).
#include <string>

#include "support/env.hpp"

namespace support {

class Standby {
  public:
    // `extra_conf`: postgresql.conf lines for the standby (e.g. its
    // max_standby_streaming_delay).
    explicit Standby(const std::string& extra_conf = "");
    ~Standby();
    Standby(const Standby&) = delete;
    Standby& operator=(const Standby&) = delete;

    // The test dsn pointed at this standby.
    std::string dsn() const;
    std::string host() const { return dir_.path().string(); }
    int port() const { return port_; }
    // Waits until the standby has replayed what the primary has written so far.
    void catch_up() const;
    // pg_ctl stop -m fast (the destructor stops it too).
    void stop();
    std::string log_tail(int lines = 30) const;

  private:
    int pg(const std::string& command) const;  // as the cluster's OS user; exit status
    TempDir dir_{"asyncpage-standby"};
    std::string user_;
    std::string slot_;  // the primary's replication slot for this standby
    int port_ = 0;
    bool running_ = false;
};

}  // namespace support
