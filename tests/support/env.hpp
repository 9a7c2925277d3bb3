#pragma once
// Environment of the real-database suites: the test DSN, temp dirs, free TCP ports,
// polling with a timeout, small file helpers. Everything fails loudly and names
// what is missing.
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace support {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// ASYNCPAGE_TEST_DSN, e.g. "host=/tmp/pg port=5432 dbname=asyncpage_test user=postgres".
// Throws std::runtime_error with a clear message when it is not set.
std::string test_dsn();

// Path of the built server binary (ASYNCPAGE_BINARY, overridable at run time by the
// environment variable of the same name). Throws when the file does not exist.
std::string server_binary();

// tests/reports of the source tree: the report files the suites use.
std::filesystem::path reports_dir();

// The nginx template (ASYNCPAGE_NGINX_TEMPLATE or SOURCE/nginx/local.conf.in).
std::filesystem::path nginx_template();

// True when this binary (and so the server, built with the same flags) has ASan.
constexpr bool sanitized_build() {
#if defined(__SANITIZE_ADDRESS__)
    return true;
#else
    return false;
#endif
}

// A fresh directory under $TMPDIR (or /tmp) removed with its content on
// destruction, unless ASYNCPAGE_TEST_KEEP is set in the environment.
class TempDir {
  public:
    explicit TempDir(const std::string& prefix = "asyncpage-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
int free_tcp_port();

// Polls `predicate` every `interval` until it is true (returns true) or `timeout`
// passes (returns false). Exceptions from the predicate propagate.
bool wait_until(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = 20ms);

// A name no other test, process or earlier run uses: "PREFIX_PID_N_MICROS" (letters,
// digits and '_' only, so it serves as an SQL identifier, a tag or an
// application_name; keep PREFIX under 30 characters for the latter's 63).
std::string unique_name(const std::string& prefix);

// Seconds elapsed since `start`, as a double.
double seconds_since(Clock::time_point start);

// argv and envp for execve of a test's child process: the test process's
// environment without its ASYNCPAGE_* variables (so that the developer's shell
// cannot change what a test runs), plus `env`.
class ExecArgs {
  public:
    ExecArgs(std::vector<std::string> args, const std::map<std::string, std::string>& env);
    ExecArgs(const ExecArgs&) = delete;
    ExecArgs& operator=(const ExecArgs&) = delete;
    char* const* argv() { return argv_.data(); }
    char* const* envp() { return envp_.data(); }

  private:
    std::vector<std::string> args_, env_;
    std::vector<char*> argv_, envp_;
};

struct CommandResult {
    int status = -1;     // exit code; 128+N when killed by signal N
    std::string output;  // stdout and stderr together
};
// Runs `command` through /bin/sh with stderr joined to stdout and waits for it. With
// `strip_asyncpage_env`, the command sees none of the test's ASYNCPAGE_* variables.
CommandResult run_command(const std::string& command, bool strip_asyncpage_env = true);
// 'word' for /bin/sh (single quotes, embedded ones escaped).
std::string shell_quote(const std::string& word);

// The whole file (throws when it cannot be read).
std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);
// The last `lines` lines of a file ("" when it does not exist).
std::string tail_file(const std::filesystem::path& path, int lines);

// Raises RLIMIT_NOFILE to its hard limit (for 1000 concurrent clients).
void raise_fd_limit();

}  // namespace support
