// Prometheus text for one worker: gauges of what is pending now, counters since
// the worker started, and a cumulative latency histogram.
#include "page/metrics.hpp"

#include <fmt/format.h>

namespace asyncpage::page {

void Metrics::observe_page(model::PageStatus status, double seconds) {
    ++pages_by_status[static_cast<std::size_t>(status)];
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        if (seconds <= kBuckets[i]) ++latency_buckets[i];
    }
    ++latency_count;
    latency_sum += seconds;
}

std::string Metrics::render(const pg::PoolStats& pool, int pool_size,
                            const JobFigures& jobs) const {
    std::string out;
    out.reserve(4096);
    auto gauge = [&](const char* name, const char* help, auto value) {
        out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, value);
    };
    auto counter = [&](const char* name, const char* help, auto value) {
        out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, value);
    };
    gauge("asyncpage_pending_pages", "Requests accepted and not yet answered.", pending);
    gauge("asyncpage_queries_in_flight", "Queries sent to PostgreSQL and not yet ended.",
          queries_in_flight);
    out +=
        "# HELP asyncpage_pool_connections Pooled PostgreSQL connections by state.\n"
        "# TYPE asyncpage_pool_connections gauge\n";
    out += fmt::format("asyncpage_pool_connections{{state=\"idle\"}} {}\n", pool.idle);
    out += fmt::format("asyncpage_pool_connections{{state=\"busy\"}} {}\n", pool.busy);
    out += fmt::format("asyncpage_pool_connections{{state=\"connecting\"}} {}\n", pool.connecting);
    out += fmt::format("asyncpage_pool_connections{{state=\"cancelling\"}} {}\n", pool.cancelling);
    gauge("asyncpage_pool_size", "Configured pool_size of this worker.", pool_size);
    gauge("asyncpage_pool_waiting", "Page tasks waiting for a pooled connection.", pool.waiting);
    out +=
        "# HELP asyncpage_pages_total Pages answered, by outcome.\n"
        "# TYPE asyncpage_pages_total counter\n";
    for (std::size_t i = 0; i < pages_by_status.size(); ++i) {
        out += fmt::format("asyncpage_pages_total{{status=\"{}\"}} {}\n",
                           model::to_string(static_cast<model::PageStatus>(i)), pages_by_status[i]);
    }
    counter("asyncpage_timeouts_total", "Pages whose deadline passed before every section ended.",
            timeouts);
    counter("asyncpage_cancels_total", "Queries cancelled in PostgreSQL.", pool.cancels);
    counter("asyncpage_client_aborts_total", "Pages whose client closed the connection first.",
            client_aborts);
    counter("asyncpage_rejected_total", "Requests answered 503 because max_pending was reached.",
            rejected);
    counter("asyncpage_fastcgi_requests_total", "FastCGI requests read from nginx.",
            fastcgi_requests);
    counter("asyncpage_fastcgi_connections_total",
            "FastCGI connections accepted from nginx (fewer than requests when nginx keeps "
            "them: fastcgi_keep_conn on).",
            fastcgi_connections);
    counter("asyncpage_pg_connects_total", "Connection attempts to PostgreSQL.", pool.connects);
    counter("asyncpage_pg_connections_lost_total", "Pooled connections that broke.", pool.broken);
    gauge("asyncpage_jobs_running", "Background jobs this worker is running.", jobs.running);
    out +=
        "# HELP asyncpage_job_waiters Long polls and event streams held open, by kind.\n"
        "# TYPE asyncpage_job_waiters gauge\n";
    out += fmt::format("asyncpage_job_waiters{{kind=\"wait\"}} {}\n", jobs.long_polls);
    out += fmt::format("asyncpage_job_waiters{{kind=\"events\"}} {}\n", jobs.streams);
    gauge("asyncpage_job_events_listening",
          "1 while this worker's LISTEN connection for job events is up.", jobs.listening ? 1 : 0);
    counter("asyncpage_jobs_created_total", "Jobs created through this worker.", jobs.created);
    out +=
        "# HELP asyncpage_jobs_total Jobs this worker claimed, and how they ended.\n"
        "# TYPE asyncpage_jobs_total counter\n";
    for (auto [state, n] : {std::pair{"claimed", jobs.claimed},
                            {"succeeded", jobs.succeeded},
                            {"failed", jobs.failed},
                            {"cancelled", jobs.cancelled},
                            {"requeued", jobs.requeued}}) {
        out += fmt::format("asyncpage_jobs_total{{state=\"{}\"}} {}\n", state, n);
    }
    counter("asyncpage_job_progress_notices_total", "asyncpage.progress notices received.",
            jobs.progress_notices);
    counter("asyncpage_job_progress_writes_total",
            "Progress updates written to the jobs table (bursts coalesced).", jobs.progress_writes);
    counter("asyncpage_job_retries_total",
            "Jobs this worker claimed again after an earlier run was lost (worker, host or "
            "database session gone).",
            jobs.retries);
    counter("asyncpage_job_lease_expiries_total",
            "Runs (of any worker) whose lease this worker found expired: their job was queued "
            "again or, after its last attempt, failed.",
            jobs.lease_expiries);
    counter("asyncpage_job_leases_lost_total",
            "Runs of this worker that found their lease taken and stopped without writing.",
            jobs.leases_lost);
    out +=
        "# HELP asyncpage_page_duration_seconds Time from request to answer.\n"
        "# TYPE asyncpage_page_duration_seconds histogram\n";
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        out += fmt::format("asyncpage_page_duration_seconds_bucket{{le=\"{}\"}} {}\n", kBuckets[i],
                           latency_buckets[i]);
    }
    out += fmt::format("asyncpage_page_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", latency_count);
    out += fmt::format("asyncpage_page_duration_seconds_sum {}\n", latency_sum);
    out += fmt::format("asyncpage_page_duration_seconds_count {}\n", latency_count);
    return out;
}

}  // namespace asyncpage::page
