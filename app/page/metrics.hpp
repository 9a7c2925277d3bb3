#pragma once
// A worker's counters and the page-latency histogram, rendered as Prometheus text
// format 0.0.4. Each worker process answers /metrics for itself.
#include <array>
#include <cstdint>
#include <string>

#include "model/result.hpp"
#include "pg/pool.hpp"

namespace asyncpage::page {

// This worker's share of background jobs, gathered when /metrics is rendered.
struct JobFigures {
    std::uint64_t running = 0, long_polls = 0, streams = 0;
    std::uint64_t created = 0, claimed = 0, succeeded = 0, failed = 0, cancelled = 0, requeued = 0;
    std::uint64_t progress_notices = 0, progress_writes = 0;
    std::uint64_t retries = 0, lease_expiries = 0, leases_lost = 0;
    bool listening = false;
};

struct Metrics {
    static constexpr std::array<double, 13> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                        1,     2.5,  5,     10,   30,  60};
    std::uint64_t pending = 0;
    std::uint64_t queries_in_flight = 0;
    std::array<std::uint64_t, 5> pages_by_status{};  // indexed by model::PageStatus
    std::uint64_t timeouts = 0;                      // pages whose deadline passed
    std::uint64_t client_aborts = 0;                 // pages whose client left
    std::uint64_t rejected = 0;                      // 503 at max_pending
    std::uint64_t fastcgi_requests = 0;              // requests read from nginx
    std::uint64_t fastcgi_connections = 0;           // connections accepted from nginx
    std::array<std::uint64_t, kBuckets.size()> latency_buckets{};
    std::uint64_t latency_count = 0;
    double latency_sum = 0;

    void observe_page(model::PageStatus status, double seconds);
    std::string render(const pg::PoolStats& pool, int pool_size,
                       const struct JobFigures& jobs) const;
};

}  // namespace asyncpage::page
