#pragma once
// `asyncpage serve` as a child process of the test: writes its config into a temp
// dir, starts it with its stderr in TMP/server.log, waits until the socket listens
// and every worker is up, and looks at its workers through /proc.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/env.hpp"
#include "support/pg.hpp"

namespace support {

// TOML string literal with quotes and escapes: toml_string("a\"b") == "\"a\\\"b\"".
std::string toml_string(const std::string& text);

struct ServerOptions {
    int workers = 1;
    int pool_size = 16;
    std::string dsn;                    // empty: test_dsn()
    std::filesystem::path reports_dir;  // empty: support::reports_dir()
    std::string log_level = "info";
    // Further config keys, values as TOML literals: {"max_body", "\"1KB\""}. A key given
    // here replaces the one above (listen, dsn, ... included).
    std::map<std::string, std::string> config;
    // Extra environment for the server (ASYNCPAGE_* variables of the test process are
    // not passed on: the config file alone decides).
    std::map<std::string, std::string> env;
    // Without "jobs_dsn" in `config`, the server gets a JobsDb of its own.
};

class Server {
  public:
    explicit Server(ServerOptions options, std::chrono::milliseconds ready_timeout = 10s);
    ~Server();  // SIGTERM, then SIGKILL (supervisor and workers) when still running
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    pid_t pid() const { return pid_; }
    const std::filesystem::path& socket_path() const { return socket_; }
    const std::filesystem::path& dir() const { return dir_.path(); }
    std::filesystem::path log_path() const { return dir_ / "server.log"; }
    std::string log_tail(int lines = 60) const { return tail_file(log_path(), lines); }
    const ServerOptions& options() const { return options_; }
    // The server's jobs_dsn (its own JobsDb unless the options named one).
    const std::string& jobs_dsn() const { return jobs_dsn_; }
    // The application_name of this server's report connections (set in its dsn, unique
    // per server): what Pg::count_active and friends select its backends by.
    const std::string& application_name() const { return application_name_; }

    // Children of the supervisor now (sorted), but for the short-lived ones that
    // release a dead worker's job leases.
    std::vector<pid_t> worker_pids() const;
    // Waits until exactly `n` workers run; returns their pids (throws on timeout).
    std::vector<pid_t> wait_workers(int n, std::chrono::milliseconds timeout = 10s) const;

    // VmRSS / VmHWM of a process in bytes (0 when it is gone).
    static long rss_bytes(pid_t pid);
    static long hwm_bytes(pid_t pid);
    // Open file descriptors of a process (0 when it is gone).
    static int open_fds(pid_t pid);

    bool running();
    void signal(int sig) const;
    // Waits for the supervisor to exit: its exit code, 128+N when killed by signal N,
    // nullopt on timeout (still running).
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    // SIGTERM and wait_exit; SIGKILL after `timeout` (then nullopt).
    std::optional<int> stop(std::chrono::milliseconds timeout = 15s);

  private:
    void start(std::chrono::milliseconds ready_timeout);
    bool socket_listening() const;
    void kill_everything();

    ServerOptions options_;
    std::unique_ptr<JobsDb> jobs_db_;
    std::string jobs_dsn_;
    std::string application_name_ = unique_name("asyncpage_t");
    TempDir dir_{"asyncpage-server"};
    std::filesystem::path socket_;
    pid_t pid_ = -1;
    std::optional<int> exit_status_;
};

}  // namespace support
