#pragma once
// Runs the asyncpage binary (or any program) as a child with a time limit and
// its stdout and stderr captured together, without the test process's
// ASYNCPAGE_* variables unless given: for `check` and other one-shot commands.
#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace support {

struct CliResult {
    int exit_code = -1;  // 128+N when killed by signal N; -1 when it had to be killed
    bool timed_out = false;
    std::string output;  // stdout and stderr, interleaved as written
};

// argv[0] is the program path. `env` is added to the environment (ASYNCPAGE_* of
// the test process are removed first). Killed with SIGKILL after `timeout`.
CliResult run_cli(const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env = {},
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace support
