#pragma once
// spdlog setup: the error log (spdlog's default logger) and the access log, each to
// stderr or a file; created after fork() because spdlog's loggers own threads/locks.
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace asyncpage::log {

struct Options {
    std::string level = "info";
    std::string error_log;   // empty: stderr
    std::string access_log;  // empty: stderr
    std::string process;     // "supervisor", "worker 3": prefixed to every line
};

// Throws std::runtime_error when a log file cannot be opened (naming it).
void setup(const Options& options);
// Reopens the log files (SIGUSR1, after logrotate moved them).
void reopen();
std::shared_ptr<spdlog::logger> access();

}  // namespace asyncpage::log
