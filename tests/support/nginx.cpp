// Starting and stopping a throwaway nginx from the local-stack template. nginx
// daemonizes (the launcher exits 0 once the master runs); we stop the master
// with SIGTERM through the pid file and wait until it is gone.
#include "support/nginx.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/log_registry.hpp"

namespace support {

namespace fs = std::filesystem;

namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) {
        text.replace(pos, from.size(), to);
    }
}

bool port_accepts(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

bool process_gone(pid_t pid) {
    if (::kill(pid, 0) != 0) return errno == ESRCH;
    // Reparented to an init that does not reap: a zombie counts as gone.
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    auto paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

std::string nginx_binary() {
    const char* env = std::getenv("ASYNCPAGE_NGINX");
    if (env != nullptr && *env != '\0') return env;
    for (const char* p : {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"}) {
        if (fs::exists(p)) return p;
    }
    throw std::runtime_error("nginx not found (install nginx or set ASYNCPAGE_NGINX)");
}

}  // namespace

Nginx::Nginx(const fs::path& socket)
    : Nginx(socket, [](const fs::path& prefix, int port, const fs::path& sock) {
          std::string conf = read_file(nginx_template());
          replace_all(conf, "@PREFIX@", prefix.string());
          replace_all(conf, "@PORT@", std::to_string(port));
          replace_all(conf, "@SOCKET@", sock.string());
          replace_all(conf, "@USER@", geteuid() == 0 ? "user root;" : "");
          return conf;
      }) {}

Nginx::Nginx(const fs::path& socket, Render render) : render_(std::move(render)) {
    // The free port may be taken between picking and binding: try a few.
    std::string failure;
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (launch(socket, failure)) break;
        if (failure.find("Address already in use") == std::string::npos || attempt == 2) {
            throw std::runtime_error(failure);
        }
    }
    running_ = true;
    register_log("nginx error.log", error_log());
    if (!wait_until([&] { return port_accepts(port_); }, 10s, 10ms)) {
        unregister_log(error_log());
        stop();
        throw std::runtime_error("nginx does not accept on port " + std::to_string(port_) + ": " +
                                 tail_file(error_log(), 20));
    }
}

bool Nginx::launch(const fs::path& socket, std::string& failure) {
    port_ = free_tcp_port();
    std::string conf = render_(dir_.path(), port_, socket);
    fs::path conf_path = dir_ / "nginx.conf";
    write_file(conf_path, conf);

    std::string binary = nginx_binary();
    std::vector<std::string> args = {binary,
                                     "-p",
                                     dir_.path().string() + "/",
                                     "-c",
                                     conf_path.string(),
                                     "-e",
                                     error_log().string()};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    fs::path launch_log = dir_ / "launch.log";
    fs::remove(launch_log);
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        FILE* out = std::freopen(launch_log.c_str(), "a", stderr);
        if (out != nullptr) dup2(2, 1);
        ::signal(SIGPIPE, SIG_DFL);  // GlobalSetup ignores it in the test process
        execv(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
    std::string launch_output = fs::exists(launch_log) ? read_file(launch_log) : "";
    failure = "nginx failed to start: " + launch_output + tail_file(error_log(), 20) +
              "\nconfig:\n" + conf;
    return false;
}

Nginx::~Nginx() {
    unregister_log(error_log());
    try {
        stop();
    } catch (...) {
    }
    if (current_test_failed()) dump_log("nginx error.log of a failed test", error_log(), 20);
}

std::string Nginx::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
}

pid_t Nginx::master_pid() const {
    std::ifstream candidates[] = {std::ifstream(dir_ / "nginx.pid"),
                                  std::ifstream(dir_ / "logs" / "nginx.pid")};
    for (auto& in : candidates) {
        pid_t pid = 0;
        if (in >> pid && pid > 0) return pid;
    }
    return -1;
}

void Nginx::stop() {
    if (!running_) return;
    running_ = false;
    pid_t pid = master_pid();
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    if (!wait_until([&] { return process_gone(pid); }, 10s, 10ms)) ::kill(pid, SIGKILL);
}

}  // namespace support
