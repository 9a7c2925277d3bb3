#pragma once
// Logs of the processes a test started (server.log, nginx error.log), and the
// Boost.Test hooks that print their tails when a test fails. Each suite's main.cpp
// installs them with BOOST_TEST_GLOBAL_FIXTURE(support::GlobalSetup).
#include <filesystem>
#include <string>

namespace support {

void register_log(const std::string& what, const std::filesystem::path& path);
void unregister_log(const std::filesystem::path& path);
// Prints the last `lines` lines of every registered log to stderr.
void dump_logs(int lines = 40);

// True while the running test case has a failed assertion or an exception. Owners
// of a log call it in their destructor to print the tail before the log is deleted
// (a test's own Server dies before Boost.Test reports the test as finished).
bool current_test_failed();
// Prints the last `lines` lines of `path` to stderr under a heading.
void dump_log(const std::string& what, const std::filesystem::path& path, int lines = 40);

// Global fixture: libcurl init, fd limit, SIGPIPE ignored, the failure observer.
struct GlobalSetup {
    GlobalSetup();
    ~GlobalSetup();
};

}  // namespace support
