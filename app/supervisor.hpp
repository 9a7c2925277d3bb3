#pragma once
// The supervisor process of `asyncpage serve`.
#include "config/config.hpp"

namespace asyncpage {

// Opens the listen socket, forks `workers` workers sharing it, restarts a worker
// that dies, drains on SIGTERM and exits 0. Returns the process exit code.
int run_supervisor(const config::Config& config);

}  // namespace asyncpage
