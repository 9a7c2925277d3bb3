// ShippedNginx: renders nginx/asyncpage.conf into a temp prefix next to a copy of
// the stock fastcgi_params (the site includes it by a relative name), starts
// nginx (which daemonizes) and stops its master through the pid file.
#include "support/shipped_nginx.hpp"

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
#include <vector>

#include "support/log_registry.hpp"

namespace support {

namespace fs = std::filesystem;

namespace {

void replace_once(std::string& text, const std::string& from, const std::string& to) {
    size_t pos = text.find(from);
    if (pos == std::string::npos || text.find(from, pos + 1) != std::string::npos) {
        throw std::runtime_error("nginx/asyncpage.conf: expected exactly one \"" + from +
                                 "\"; update tests/support/shipped_nginx.cpp with the site");
    }
    text.replace(pos, from.size(), to);
}

bool accepts(int port) {
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

bool gone(pid_t pid) {
    if (::kill(pid, 0) != 0) return errno == ESRCH;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    auto paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

std::string find_nginx() {
    const char* env = std::getenv("ASYNCPAGE_NGINX");
    if (env != nullptr && *env != '\0') return env;
    for (const char* p : {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"}) {
        if (fs::exists(p)) return p;
    }
    throw std::runtime_error("nginx not found (install nginx or set ASYNCPAGE_NGINX)");
}

}  // namespace

fs::path shipped_site() {
    return fs::path(ASYNCPAGE_SOURCE_DIR) / "nginx" / "asyncpage.conf";
}

std::string render_shipped_site(const std::string& site, const fs::path& socket, int port) {
    std::string out = site;
    replace_once(out, "server unix:/run/asyncpage/asyncpage.sock;",
                 "server unix:" + socket.string() + ";");
    replace_once(out, "    listen 80;\n", "    listen 127.0.0.1:" + std::to_string(port) + ";\n");
    replace_once(out, "    listen [::]:80;\n", "");
    return out;
}

ShippedNginx::ShippedNginx(const fs::path& socket) {
    const std::string prefix = dir_.path().string();
    write_file(dir_ / "fastcgi_params", read_file("/etc/nginx/fastcgi_params"));
    std::string site = read_file(shipped_site());
    std::string failure;
    for (int attempt = 0; attempt < 3 && !running_; ++attempt) {
        port_ = free_tcp_port();
        write_file(dir_ / "site.conf", render_shipped_site(site, socket, port_));
        std::string conf = std::string(geteuid() == 0 ? "user root;\n" : "") +
                           "daemon on;\nworker_processes 2;\npid " + prefix +
                           "/nginx.pid;\nerror_log " + prefix +
                           "/error.log warn;\nevents { worker_connections 1024; }\nhttp {\n"
                           "    include /etc/nginx/mime.types;\n"
                           "    default_type application/octet-stream;\n"
                           "    access_log " +
                           prefix +
                           "/access.log;\n"
                           "    client_body_temp_path " +
                           prefix +
                           "/client_body_temp;\n"
                           "    fastcgi_temp_path " +
                           prefix +
                           "/fastcgi_temp;\n"
                           "    proxy_temp_path " +
                           prefix +
                           "/proxy_temp;\n"
                           "    uwsgi_temp_path " +
                           prefix +
                           "/uwsgi_temp;\n"
                           "    scgi_temp_path " +
                           prefix +
                           "/scgi_temp;\n"
                           "    include " +
                           prefix + "/site.conf;\n}\n";
        write_file(dir_ / "nginx.conf", conf);
        std::vector<std::string> args = {
            find_nginx(),        "-p", prefix + "/", "-c", (dir_ / "nginx.conf").string(), "-e",
            error_log().string()};
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        fs::path launch_log = dir_ / "launch.log";
        pid_t pid = fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
            FILE* out = std::freopen(launch_log.c_str(), "w", stderr);
            if (out != nullptr) dup2(2, 1);
            ::signal(SIGPIPE, SIG_DFL);
            execv(argv[0], argv.data());
            _exit(127);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            running_ = true;
            break;
        }
        failure = "nginx with the shipped site failed to start: " +
                  (fs::exists(launch_log) ? read_file(launch_log) : "") +
                  tail_file(error_log(), 20);
        if (failure.find("Address already in use") == std::string::npos) break;
    }
    if (!running_) throw std::runtime_error(failure);
    register_log("nginx (shipped site) error.log", error_log());
    if (!wait_until([&] { return accepts(port_); }, 10s, 10ms)) {
        unregister_log(error_log());
        stop();
        throw std::runtime_error("nginx does not accept on port " + std::to_string(port_));
    }
}

ShippedNginx::~ShippedNginx() {
    unregister_log(error_log());
    try {
        stop();
    } catch (...) {
    }
    if (current_test_failed()) dump_log("nginx (shipped site) error.log", error_log(), 20);
}

std::string ShippedNginx::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void ShippedNginx::stop() {
    if (!running_) return;
    running_ = false;
    std::ifstream in(dir_ / "nginx.pid");
    pid_t pid = 0;
    if (!(in >> pid) || pid <= 0) return;
    ::kill(pid, SIGTERM);
    if (!wait_until([&] { return gone(pid); }, 10s, 10ms)) ::kill(pid, SIGKILL);
}

}  // namespace support
