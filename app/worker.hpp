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

// Runs until SIGTERM (drain: stop accepting, finish pending pages, return 0) or
// SIGQUIT (return at once). `listen_fd` is the supervisor's shared socket.
int run_worker(const config::Config& config, int listen_fd,
               std::shared_ptr<const page::Catalog> catalog, int index);

}  // namespace asyncpage
