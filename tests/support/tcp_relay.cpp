// The relay's one thread polls the listen socket and every pair of sockets; while
// frozen it reads from none of them (new connections wait in the backlog).
#include "support/tcp_relay.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace support {

namespace {
std::string keyword(const std::string& dsn, const std::string& key) {
    std::istringstream in(dsn);
    std::string word, value;
    while (in >> word) {
        if (word.rfind(key + "=", 0) == 0) value = word.substr(key.size() + 1);
    }
    return value;
}

int connect_target(const std::string& target) {
    if (!target.empty() && target[0] == '/') {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, target.c_str(), sizeof addr.sun_path - 1);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd);
            return -1;
        }
        return fd;
    }
    auto colon = target.rfind(':');
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::stoi(target.substr(colon + 1))));
    ::inet_pton(AF_INET, target.substr(0, colon).c_str(), &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

struct Pair {
    int a = -1, b = -1;  // client side, server side
};

// Moves what `from` has to `to`; false when `from` ended or failed.
bool pump(int from, int to) {
    char buf[65536];
    ssize_t n = ::recv(from, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    ssize_t off = 0;
    while (off < n) {  // blocking write: the peers read promptly
        ssize_t w = ::send(to, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        off += w;
    }
    return true;
}
}  // namespace

TcpRelay::TcpRelay(const std::string& dsn) {
    std::string host = keyword(dsn, "host");
    std::string port = keyword(dsn, "port");
    if (port.empty()) port = "5432";
    if (host.empty()) host = "/var/run/postgresql";
    target_ = host[0] == '/' ? host + "/.s.PGSQL." + port : host + ":" + port;
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 128) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(listen_fd_);
        throw std::runtime_error(std::string("tcp relay: ") + std::strerror(errno));
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
}

TcpRelay::~TcpRelay() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
}

std::string TcpRelay::dsn(const std::string& dsn) const {
    // Later keywords win in a libpq connection string.
    return dsn + " host=127.0.0.1 port=" + std::to_string(port_) + " sslmode=disable";
}

void TcpRelay::run() {
    std::vector<Pair> pairs;
    while (!stop_) {
        std::vector<pollfd> fds;
        bool frozen = frozen_;
        if (!frozen) {
            fds.push_back({listen_fd_, POLLIN, 0});
            for (auto& p : pairs) {
                fds.push_back({p.a, POLLIN, 0});
                fds.push_back({p.b, POLLIN, 0});
            }
        }
        if (fds.empty()) {
            ::usleep(20000);
            continue;
        }
        if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
        if (fds[0].revents & POLLIN) {
            int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c >= 0) {
                int s = connect_target(target_);
                if (s < 0) {
                    ::close(c);
                } else {
                    pairs.push_back({c, s});
                    ++accepted_;
                }
            }
        }
        // Only the pairs that were polled (pairs added above come next pass).
        std::size_t polled = (fds.size() - 1) / 2;
        std::vector<bool> dead(pairs.size(), false);
        for (std::size_t i = 0; i < polled; ++i) {
            short ra = fds[1 + 2 * i].revents, rb = fds[2 + 2 * i].revents;
            if ((ra & (POLLIN | POLLHUP | POLLERR)) && !pump(pairs[i].a, pairs[i].b))
                dead[i] = true;
            if ((rb & (POLLIN | POLLHUP | POLLERR)) && !pump(pairs[i].b, pairs[i].a))
                dead[i] = true;
        }
        std::vector<Pair> kept;
        for (std::size_t i = 0; i < pairs.size(); ++i) {
            if (dead[i]) {
                ::close(pairs[i].a);
                ::close(pairs[i].b);
            } else {
                kept.push_back(pairs[i]);
            }
        }
        pairs.swap(kept);
    }
    for (auto& p : pairs) {
        ::close(p.a);
        ::close(p.b);
    }
}

}  // namespace support
