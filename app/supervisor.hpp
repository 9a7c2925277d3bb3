#pragma once
// The supervisor process of `asyncpage serve`.
#include <string>

#include "config/config.hpp"

namespace asyncpage {

// Opens the listen socket, forks `workers` workers sharing it, restarts a worker
// that dies, reloads on SIGHUP (re-reading `config_path` and the report files),
// drains on SIGTERM and exits 0. Returns the process exit code.
int run_supervisor(const config::Config& config, const std::string& config_path);

}  // namespace asyncpage
