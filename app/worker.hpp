#pragma once
// A worker process: one thread, one poll() loop serving FastCGI requests.
#include <memory>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "page/router.hpp"

namespace asyncpage {

// The longest page budget in `catalog`, and at least the config's default_timeout:
// a worker's statement_timeout backstop, and how long the supervisor lets a draining
// worker finish its pending pages.
Millis longest_timeout(const config::Config& config, const page::Catalog& catalog);

// How long, beyond the longest report timeout, the supervisor waits for draining
// workers before it kills them (SIGTERM; README, "Sizing and timeouts").
inline constexpr Millis kDrainGrace{5000};

// The PostgreSQL connections one worker opens at most (docs/ARCHITECTURE.md,
// "Processes"); `asyncpage check` compares their sum with max_connections.
struct WorkerConnections {
    int pages = 0;    // the page pool on dsn: pool_size
    int meta = 4;     // job bookkeeping on jobs_dsn
    int runs = 0;     // sections of background jobs on dsn: job_slots x 4 (at least 1)
    int results = 4;  // job result rows written and read back, on jobs_dsn
    int listen = 1;   // the LISTEN connection for job events, on jobs_dsn
    int total() const { return pages + meta + runs + results + listen; }
};
WorkerConnections worker_connections(const config::Config& config);

// Runs until SIGTERM (drain: stop accepting, finish pending pages, return 0) or
// SIGQUIT (return at once). `listen_fd` is the supervisor's shared socket;
// `board` (may be null) and `slot` where this worker publishes its figures.
int run_worker(const config::Config& config, int listen_fd,
               std::shared_ptr<const page::Catalog> catalog, int index,
               page::MetricsBoard* board = nullptr, int slot = -1);

}  // namespace asyncpage
