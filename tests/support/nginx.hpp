#pragma once
// A private nginx in front of one asyncpage socket: renders nginx/local.conf.in
// into a temp prefix (@PREFIX@, @PORT@, @SOCKET@, @USER@), starts it on a free
// 127.0.0.1 port and stops it on destruction.
#include <sys/types.h>

#include <filesystem>
#include <string>

#include "support/env.hpp"

namespace support {

class Nginx {
  public:
    explicit Nginx(const std::filesystem::path& socket);
    ~Nginx();
    Nginx(const Nginx&) = delete;
    Nginx& operator=(const Nginx&) = delete;

    int port() const { return port_; }
    // "http://127.0.0.1:PORT" + path (path starts with '/').
    std::string url(const std::string& path) const;
    const std::filesystem::path& prefix() const { return dir_.path(); }
    std::filesystem::path error_log() const { return dir_ / "error.log"; }
    void stop();

  private:
    // Renders the template on a new free port and runs nginx (which daemonizes);
    // false with `failure` set when nginx exits non-zero.
    bool launch(const std::filesystem::path& socket, std::string& failure);
    pid_t master_pid() const;
    TempDir dir_{"asyncpage-nginx"};
    int port_ = 0;
    bool running_ = false;
};

}  // namespace support
