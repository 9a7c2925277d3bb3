#pragma once
// A private nginx in front of one asyncpage socket: renders its nginx.conf into a
// temp prefix (by default nginx/local.conf.in: @PREFIX@, @PORT@, @SOCKET@, @USER@),
// starts it on a free 127.0.0.1 port and stops it on destruction.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>

#include "support/env.hpp"

namespace support {

class Nginx {
  public:
    // The nginx.conf text for a prefix (the temp dir), a port and the asyncpage
    // socket; it may write files of its own into the prefix.
    using Render = std::function<std::string(const std::filesystem::path& prefix, int port,
                                             const std::filesystem::path& socket)>;
    explicit Nginx(const std::filesystem::path& socket);  // nginx/local.conf.in
    Nginx(const std::filesystem::path& socket, Render render);
    virtual ~Nginx();
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
    Render render_;
    TempDir dir_{"asyncpage-nginx"};
    int port_ = 0;
    bool running_ = false;
};

}  // namespace support
