// The test environment: DSN and binary lookup, temp dirs, free ports, polling.
// These helpers throw std::runtime_error with a message that says what to set.
#include "support/env.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

namespace support {

namespace fs = std::filesystem;

std::string test_dsn() {
    const char* dsn = std::getenv("ASYNCPAGE_TEST_DSN");
    if (dsn == nullptr || *dsn == '\0') {
        throw std::runtime_error(
            "ASYNCPAGE_TEST_DSN is not set: these suites need a running PostgreSQL 15 "
            "(e.g. ASYNCPAGE_TEST_DSN=\"host=/tmp/pg port=5432 dbname=asyncpage_test "
            "user=postgres\"); scripts/test starts one and sets it");
    }
    return dsn;
}

std::string server_binary() {
    const char* env = std::getenv("ASYNCPAGE_BINARY");
    std::string path = (env != nullptr && *env != '\0') ? env : ASYNCPAGE_BINARY;
    if (!fs::exists(path)) {
        throw std::runtime_error("server binary not found at " + path +
                                 " (build the asyncpage target first)");
    }
    return path;
}

fs::path reports_dir() {
    return fs::path(ASYNCPAGE_SOURCE_DIR) / "tests" / "reports";
}

fs::path nginx_template() {
    const char* env = std::getenv("ASYNCPAGE_NGINX_TEMPLATE");
    fs::path path = (env != nullptr && *env != '\0')
                        ? fs::path(env)
                        : fs::path(ASYNCPAGE_SOURCE_DIR) / "nginx" / "local.conf.in";
    if (!fs::exists(path)) {
        throw std::runtime_error("nginx template not found at " + path.string());
    }
    return path;
}

TempDir::TempDir(const std::string& prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" + prefix + "-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
        throw std::runtime_error("mkdtemp " + templ + ": " + std::strerror(errno));
    }
    path_ = templ;
    // nginx workers and the server may run as another user: let them in.
    fs::permissions(path_, fs::perms::all, fs::perm_options::replace);
}

TempDir::~TempDir() {
    if (std::getenv("ASYNCPAGE_TEST_KEEP") != nullptr) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
}

int free_tcp_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        int err = errno;
        ::close(fd);
        throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + std::strerror(err));
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool wait_until(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        if (predicate()) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(interval);
    }
}

std::string unique_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
           std::to_string(micros % 1000000000);
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

ExecArgs::ExecArgs(std::vector<std::string> args, const std::map<std::string, std::string>& env)
    : args_(std::move(args)) {
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::strncmp(*e, "ASYNCPAGE_", 10) == 0) continue;
        // A variable given in `env` replaces the inherited one (getenv would find
        // the first of two).
        std::string_view entry(*e);
        if (env.contains(std::string(entry.substr(0, entry.find('='))))) continue;
        env_.emplace_back(*e);
    }
    for (const auto& [k, v] : env)
        env_.push_back(k + "=" + v);
    for (auto& a : args_)
        argv_.push_back(a.data());
    argv_.push_back(nullptr);
    for (auto& e : env_)
        envp_.push_back(e.data());
    envp_.push_back(nullptr);
}

CommandResult run_command(const std::string& command, bool strip_asyncpage_env) {
    // The shell drops every ASYNCPAGE_* variable of the test process (the test DSN,
    // PGDATA, ...) so that a config file alone decides, as for Server.
    std::string cmd =
        (strip_asyncpage_env ? "env $(env | grep -o '^ASYNCPAGE_[A-Za-z0-9_]*' | sed 's/^/-u /') "
                             : "") +
        command + " 2>&1";
    CommandResult result;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) throw std::runtime_error("popen failed: " + cmd);
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, p))
        result.output.append(buf, n);
    int status = ::pclose(p);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

std::string shell_quote(const std::string& word) {
    std::string out = "'";
    for (char c : word)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string tail_file(const fs::path& path, int lines) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    std::deque<std::string> last;
    std::string line;
    while (std::getline(in, line)) {
        last.push_back(line);
        if (static_cast<int>(last.size()) > lines) last.pop_front();
    }
    std::string out;
    for (const auto& l : last)
        out += l + "\n";
    return out;
}

void raise_fd_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
}

}  // namespace support
