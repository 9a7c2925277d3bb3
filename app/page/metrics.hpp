#pragma once
// A worker's counters and the page-latency histogram, and the figures of a whole
// `serve` rendered as Prometheus text format 0.0.4 (docs/ARCHITECTURE.md, "Metrics").
#include <array>
#include <cstdint>
#include <string>

#include "model/result.hpp"

namespace asyncpage::page {

inline constexpr std::array<double, 13> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                           1,     2.5,  5,     10,   30,  60};

// Everything /metrics shows, for one worker or summed over many. Plain data: it is
// copied into and out of the memory the workers share (page/metrics_board.hpp).
struct Figures {
    struct Gauges {
        std::uint64_t pending = 0, queries_in_flight = 0;
        std::uint64_t pool_idle = 0, pool_busy = 0, pool_connecting = 0, pool_cancelling = 0;
        std::uint64_t pool_shared = 0;
        std::uint64_t pool_size = 0, pool_waiting = 0;
        std::uint64_t jobs_running = 0, long_polls = 0, streams = 0, listening = 0;
        std::uint64_t workers = 0;
    } gauges;
    struct Counters {
        std::array<std::uint64_t, 5> pages_by_status{};  // indexed by model::PageStatus
        std::uint64_t timeouts = 0, client_aborts = 0, rejected = 0;
        std::uint64_t fastcgi_requests = 0, fastcgi_connections = 0;
        std::uint64_t cancels = 0, pg_connects = 0, pg_broken = 0;
        std::uint64_t shared_statements = 0, shared_requeues = 0;
        std::uint64_t jobs_created = 0, jobs_claimed = 0, jobs_succeeded = 0, jobs_failed = 0;
        std::uint64_t jobs_cancelled = 0, jobs_requeued = 0;
        std::uint64_t progress_notices = 0, progress_writes = 0;
        std::uint64_t job_retries = 0, lease_expiries = 0, leases_lost = 0;
        std::array<std::uint64_t, kLatencyBuckets.size()> latency_buckets{};
        std::uint64_t latency_count = 0;
        double latency_sum = 0;
    } counters;

    void add_gauges(const Gauges& g);
    void add_counters(const Counters& c);
};

// What only the worker counts itself (the rest comes from its pools and jobs).
struct Metrics {
    std::uint64_t pending = 0;
    std::uint64_t queries_in_flight = 0;
    std::array<std::uint64_t, 5> pages_by_status{};  // indexed by model::PageStatus
    std::uint64_t timeouts = 0;                      // pages whose deadline passed
    std::uint64_t client_aborts = 0;                 // pages whose client left
    std::uint64_t rejected = 0;                      // 503 at max_pending
    std::uint64_t fastcgi_requests = 0;              // requests read from nginx
    std::uint64_t fastcgi_connections = 0;           // connections accepted from nginx
    std::array<std::uint64_t, kLatencyBuckets.size()> latency_buckets{};
    std::uint64_t latency_count = 0;
    double latency_sum = 0;

    void observe_page(model::PageStatus status, double seconds);
};

// Prometheus text; `scope` says whose figures they are in the help texts.
std::string render_metrics(const Figures& f, const std::string& scope);

}  // namespace asyncpage::page
