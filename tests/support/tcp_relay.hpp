#pragma once
// A TCP relay in front of the test PostgreSQL, for a "vanished host": a server
// connects to PostgreSQL through it (relay.dsn(...)), and the test freezes it.
// Frozen, the relay forwards nothing in either direction and closes nothing: both
// ends keep their sockets, no FIN or RST is sent, as when a host loses power or
// its network. Thawed, the bytes held meanwhile flow on.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

namespace support {

class TcpRelay {
  public:
    // Relays 127.0.0.1:port() to the PostgreSQL server of `dsn` (a libpq key=value
    // string whose host is a socket directory or an address).
    explicit TcpRelay(const std::string& dsn);
    ~TcpRelay();
    TcpRelay(const TcpRelay&) = delete;
    TcpRelay& operator=(const TcpRelay&) = delete;

    int port() const { return port_; }
    // `dsn` with host and port pointing at the relay.
    std::string dsn(const std::string& dsn) const;
    void freeze() { frozen_ = true; }
    void thaw() { frozen_ = false; }
    // Connections accepted so far.
    int accepted() const { return accepted_; }

  private:
    void run();

    std::string target_;  // a Unix socket path, or HOST:PORT
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> frozen_{false};
    std::atomic<bool> stop_{false};
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

}  // namespace support
