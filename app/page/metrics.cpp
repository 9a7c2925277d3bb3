// Prometheus text for the figures of a worker or of a whole serve: gauges of
// what is pending now, counters since serve started, and a cumulative latency
// histogram.
#include "page/metrics.hpp"

#include <fmt/format.h>

namespace asyncpage::page {

void Metrics::observe_page(model::PageStatus status, double seconds) {
    ++pages_by_status[static_cast<std::size_t>(status)];
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        if (seconds <= kLatencyBuckets[i]) ++latency_buckets[i];
    }
    ++latency_count;
    latency_sum += seconds;
}

void Figures::add_gauges(const Gauges& g) {
    gauges.pending += g.pending;
    gauges.queries_in_flight += g.queries_in_flight;
    gauges.pool_idle += g.pool_idle;
    gauges.pool_busy += g.pool_busy;
    gauges.pool_connecting += g.pool_connecting;
    gauges.pool_cancelling += g.pool_cancelling;
    gauges.pool_shared += g.pool_shared;
    gauges.pool_size += g.pool_size;
    gauges.pool_waiting += g.pool_waiting;
    gauges.jobs_running += g.jobs_running;
    gauges.long_polls += g.long_polls;
    gauges.streams += g.streams;
    gauges.listening += g.listening;
    gauges.workers += g.workers;
}

void Figures::add_counters(const Counters& c) {
    for (std::size_t i = 0; i < c.pages_by_status.size(); ++i)
        counters.pages_by_status[i] += c.pages_by_status[i];
    counters.timeouts += c.timeouts;
    counters.client_aborts += c.client_aborts;
    counters.rejected += c.rejected;
    counters.fastcgi_requests += c.fastcgi_requests;
    counters.fastcgi_connections += c.fastcgi_connections;
    counters.cancels += c.cancels;
    counters.shared_statements += c.shared_statements;
    counters.shared_requeues += c.shared_requeues;
    counters.pg_connects += c.pg_connects;
    counters.pg_broken += c.pg_broken;
    counters.jobs_created += c.jobs_created;
    counters.jobs_claimed += c.jobs_claimed;
    counters.jobs_succeeded += c.jobs_succeeded;
    counters.jobs_failed += c.jobs_failed;
    counters.jobs_cancelled += c.jobs_cancelled;
    counters.jobs_requeued += c.jobs_requeued;
    counters.progress_notices += c.progress_notices;
    counters.progress_writes += c.progress_writes;
    counters.job_retries += c.job_retries;
    counters.lease_expiries += c.lease_expiries;
    counters.leases_lost += c.leases_lost;
    for (std::size_t i = 0; i < c.latency_buckets.size(); ++i)
        counters.latency_buckets[i] += c.latency_buckets[i];
    counters.latency_count += c.latency_count;
    counters.latency_sum += c.latency_sum;
}

std::string render_metrics(const Figures& f, const std::string& scope) {
    const auto& g = f.gauges;
    const auto& c = f.counters;
    std::string out;
    out.reserve(4096);
    auto gauge = [&](const char* name, const std::string& help, auto value) {
        out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, value);
    };
    auto counter = [&](const char* name, const std::string& help, auto value) {
        out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, value);
    };
    auto labelled = [&](const char* name, const char* type, const std::string& help) {
        out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n", name, help, type);
    };
    gauge("asyncpage_workers", "Workers whose figures are shown (" + scope + ").", g.workers);
    gauge("asyncpage_pending_pages", "Requests accepted and not yet answered.", g.pending);
    gauge("asyncpage_queries_in_flight", "Queries sent to PostgreSQL and not yet ended.",
          g.queries_in_flight);
    labelled("asyncpage_pool_connections", "gauge", "Pooled PostgreSQL connections by state.");
    out += fmt::format("asyncpage_pool_connections{{state=\"idle\"}} {}\n", g.pool_idle);
    out += fmt::format("asyncpage_pool_connections{{state=\"busy\"}} {}\n", g.pool_busy);
    out +=
        fmt::format("asyncpage_pool_connections{{state=\"connecting\"}} {}\n", g.pool_connecting);
    out +=
        fmt::format("asyncpage_pool_connections{{state=\"cancelling\"}} {}\n", g.pool_cancelling);
    out += fmt::format("asyncpage_pool_connections{{state=\"shared\"}} {}\n", g.pool_shared);
    gauge("asyncpage_pool_size", "Configured pool_size, times the workers shown.", g.pool_size);
    gauge("asyncpage_pool_waiting", "Page tasks waiting for a pooled connection.", g.pool_waiting);
    labelled("asyncpage_pages_total", "counter", "Pages answered, by outcome.");
    for (std::size_t i = 0; i < c.pages_by_status.size(); ++i) {
        out +=
            fmt::format("asyncpage_pages_total{{status=\"{}\"}} {}\n",
                        model::to_string(static_cast<model::PageStatus>(i)), c.pages_by_status[i]);
    }
    counter("asyncpage_timeouts_total", "Pages whose deadline passed before every section ended.",
            c.timeouts);
    counter("asyncpage_cancels_total", "Queries cancelled in PostgreSQL.", c.cancels);
    counter("asyncpage_shared_statements_total",
            "Page statements sent behind another page's on a shared connection.",
            c.shared_statements);
    counter("asyncpage_shared_requeues_total",
            "Shared statements cancelled for holding others past share_stall, and run again "
            "alone.",
            c.shared_requeues);
    counter("asyncpage_client_aborts_total", "Pages whose client closed the connection first.",
            c.client_aborts);
    counter("asyncpage_rejected_total", "Requests answered 503 because max_pending was reached.",
            c.rejected);
    counter("asyncpage_fastcgi_requests_total", "FastCGI requests read from nginx.",
            c.fastcgi_requests);
    counter("asyncpage_fastcgi_connections_total",
            "FastCGI connections accepted from nginx (fewer than requests when nginx keeps "
            "them: fastcgi_keep_conn on).",
            c.fastcgi_connections);
    counter("asyncpage_pg_connects_total", "Connection attempts to PostgreSQL.", c.pg_connects);
    counter("asyncpage_pg_connections_lost_total", "Pooled connections that broke.", c.pg_broken);
    gauge("asyncpage_jobs_running", "Background jobs running.", g.jobs_running);
    labelled("asyncpage_job_waiters", "gauge", "Long polls and event streams held open, by kind.");
    out += fmt::format("asyncpage_job_waiters{{kind=\"wait\"}} {}\n", g.long_polls);
    out += fmt::format("asyncpage_job_waiters{{kind=\"events\"}} {}\n", g.streams);
    gauge("asyncpage_job_events_listening", "Workers whose LISTEN connection for job events is up.",
          g.listening);
    counter("asyncpage_jobs_created_total", "Jobs created.", c.jobs_created);
    labelled("asyncpage_jobs_total", "counter", "Jobs claimed, and how they ended.");
    for (auto [state, n] : {std::pair{"claimed", c.jobs_claimed},
                            {"succeeded", c.jobs_succeeded},
                            {"failed", c.jobs_failed},
                            {"cancelled", c.jobs_cancelled},
                            {"requeued", c.jobs_requeued}}) {
        out += fmt::format("asyncpage_jobs_total{{state=\"{}\"}} {}\n", state, n);
    }
    counter("asyncpage_job_progress_notices_total", "asyncpage.progress notices received.",
            c.progress_notices);
    counter("asyncpage_job_progress_writes_total",
            "Progress updates written to the jobs table (bursts coalesced).", c.progress_writes);
    counter("asyncpage_job_retries_total",
            "Jobs claimed again after an earlier run was lost (worker, host or database session "
            "gone).",
            c.job_retries);
    counter("asyncpage_job_lease_expiries_total",
            "Runs (of any worker) whose lease was found expired: their job was queued again or, "
            "after its last attempt, failed.",
            c.lease_expiries);
    counter("asyncpage_job_leases_lost_total",
            "Runs that found their lease taken and stopped without writing.", c.leases_lost);
    labelled("asyncpage_page_duration_seconds", "histogram", "Time from request to answer.");
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        out += fmt::format("asyncpage_page_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                           kLatencyBuckets[i], c.latency_buckets[i]);
    }
    out +=
        fmt::format("asyncpage_page_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", c.latency_count);
    out += fmt::format("asyncpage_page_duration_seconds_sum {}\n", c.latency_sum);
    out += fmt::format("asyncpage_page_duration_seconds_count {}\n", c.latency_count);
    return out;
}

}  // namespace asyncpage::page
