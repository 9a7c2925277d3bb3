// Spawning and watching `asyncpage serve`: config file, log file, readiness (the
// socket listens, all workers forked), worker pids and memory from /proc, stop.
// The child gets PR_SET_PDEATHSIG so a crashed test binary leaves no server behind.
#include "support/server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/log_registry.hpp"

namespace support {

namespace fs = std::filesystem;

std::string toml_string(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += c;
        }
    }
    return out + "\"";
}

namespace {

long status_field_kb(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) {
            return std::stol(line.substr(field.size() + 1));
        }
    }
    return 0;
}

}  // namespace

Server::Server(ServerOptions options, std::chrono::milliseconds ready_timeout)
    : options_(std::move(options)) {
    socket_ = dir_ / "asyncpage.sock";
    try {
        start(ready_timeout);
    } catch (...) {
        if (pid_ > 0) kill_everything();  // no destructor runs for a failed constructor
        throw;
    }
    register_log("asyncpage server.log", log_path());
}

Server::~Server() {
    unregister_log(log_path());
    if (pid_ > 0 && !exit_status_) {
        if (!stop(10s)) kill_everything();
    }
    if (current_test_failed()) dump_log("asyncpage server.log of a failed test", log_path(), 60);
}

void Server::start(std::chrono::milliseconds ready_timeout) {
    std::map<std::string, std::string> keys = {
        {"listen", toml_string(socket_.string())},
        {"workers", std::to_string(options_.workers)},
        {"pool_size", std::to_string(options_.pool_size)},
        {"dsn", toml_string(with_application_name(options_.dsn.empty() ? test_dsn() : options_.dsn,
                                                  application_name_))},
        {"reports_dir",
         toml_string(
             (options_.reports_dir.empty() ? reports_dir() : options_.reports_dir).string())},
        {"log_level", toml_string(options_.log_level)},
    };
    for (const auto& [k, v] : options_.config)
        keys[k] = v;
    if (!keys.count("jobs_dsn")) {
        jobs_db_ = std::make_unique<JobsDb>();
        jobs_dsn_ = jobs_db_->dsn();
        keys["jobs_dsn"] = toml_string(with_application_name(jobs_dsn_, application_name_ + "_j"));
    }
    std::string toml = "# written by tests/support/server.cpp\n";
    for (const auto& [k, v] : keys)
        toml += k + " = " + v + "\n";
    fs::path config = dir_ / "asyncpage.toml";
    write_file(config, toml);

    std::string binary = server_binary();
    ExecArgs exec({binary, "serve", "--config", config.string()}, options_.env);
    std::string log = log_path().string();

    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        if (in >= 0) dup2(in, 0);
        // The test process may have raised signal dispositions; give defaults back.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);  // GlobalSetup ignores it in the test process
        execve(exec.argv()[0], exec.argv(), exec.envp());
        dprintf(2, "exec %s: %s\n", exec.argv()[0], std::strerror(errno));
        _exit(127);
    }

    auto deadline = Clock::now() + ready_timeout;
    while (!socket_listening()) {
        if (!running()) {
            throw std::runtime_error("asyncpage serve exited with status " +
                                     std::to_string(exit_status_.value_or(-1)) +
                                     " before listening; config:\n" + toml + "log:\n" + log_tail());
        }
        if (Clock::now() > deadline) {
            throw std::runtime_error("asyncpage serve did not listen on " + socket_.string() +
                                     " within the timeout; log:\n" + log_tail());
        }
        std::this_thread::sleep_for(10ms);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    wait_workers(options_.workers, std::max(left, std::chrono::milliseconds(1000)));
}

bool Server::socket_listening() const {
    // /proc/net/unix: "Num RefCount Protocol Flags Type St Inode Path"; Flags 00010000
    // (__SO_ACCEPTCON) marks a listening socket. Looking here instead of connecting keeps
    // a probe connection out of the server's accept path.
    std::ifstream in("/proc/net/unix");
    std::string line;
    const std::string path = socket_.string();
    while (std::getline(in, line)) {
        if (line.size() < path.size() ||
            line.compare(line.size() - path.size(), path.size(), path) != 0) {
            continue;
        }
        std::istringstream fields(line);
        std::string num, refcount, protocol, flags;
        fields >> num >> refcount >> protocol >> flags;
        if (flags == "00010000") return true;
    }
    return false;
}

std::vector<pid_t> Server::worker_pids() const {
    std::vector<pid_t> pids;
    std::error_code ec;
    fs::path tasks = "/proc/" + std::to_string(pid_) + "/task";
    for (const auto& task : fs::directory_iterator(tasks, ec)) {
        std::ifstream in(task.path() / "children");
        pid_t child = 0;
        while (in >> child) {
            // A short-lived child that releases a dead worker's job leases
            // (app/jobs/release.hpp) is not a worker.
            std::ifstream comm("/proc/" + std::to_string(child) + "/comm");
            std::string name;
            std::getline(comm, name);
            if (name != "asyncpage-rel") pids.push_back(child);
        }
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

std::vector<pid_t> Server::wait_workers(int n, std::chrono::milliseconds timeout) const {
    std::vector<pid_t> pids;
    bool ok = wait_until(
        [&] {
            pids = worker_pids();
            return static_cast<int>(pids.size()) == n;
        },
        timeout, 10ms);
    if (!ok) {
        throw std::runtime_error("expected " + std::to_string(n) + " asyncpage workers, found " +
                                 std::to_string(pids.size()) + "; log:\n" + log_tail());
    }
    return pids;
}

long Server::rss_bytes(pid_t pid) {
    return status_field_kb(pid, "VmRSS") * 1024;
}
long Server::hwm_bytes(pid_t pid) {
    return status_field_kb(pid, "VmHWM") * 1024;
}

int Server::open_fds(pid_t pid) {
    std::error_code ec;
    int n = 0;
    for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
         !ec && it != end; it.increment(ec))
        ++n;
    return n;
}

bool Server::running() {
    if (pid_ <= 0 || exit_status_) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == 0) return true;
    if (r == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    } else {
        exit_status_ = -1;
    }
    return false;
}

void Server::signal(int sig) const {
    if (pid_ > 0 && !exit_status_) ::kill(pid_, sig);
}

std::optional<int> Server::wait_exit(std::chrono::milliseconds timeout) {
    wait_until([&] { return !running(); }, timeout, 10ms);
    return exit_status_;
}

std::optional<int> Server::stop(std::chrono::milliseconds timeout) {
    if (!running()) return exit_status_;
    signal(SIGTERM);
    if (auto status = wait_exit(timeout)) return status;
    kill_everything();
    return std::nullopt;
}

void Server::kill_everything() {
    for (pid_t w : worker_pids())
        ::kill(w, SIGKILL);
    if (running()) {
        ::kill(pid_, SIGKILL);
        wait_exit(5s);
    }
}

}  // namespace support
