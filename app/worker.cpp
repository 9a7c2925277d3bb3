// Worker wiring: the loop, the FastCGI listener, the connection pool, the router,
// and signals through a signalfd so they arrive as ordinary loop events.
#include "worker.hpp"

#include <fcgiapp.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "fcgi/listener.hpp"
#include "jobs/hub.hpp"
#include "jobs/runner.hpp"
#include "log/log.hpp"
#include "loop/event_loop.hpp"
#include "page/job_routes.hpp"
#include "page/metrics.hpp"
#include "pg/pool.hpp"

namespace asyncpage {

Millis longest_timeout(const config::Config& config, const page::Catalog& catalog) {
    Millis m = config.default_timeout;
    for (auto& [name, r] : catalog.reports)
        m = std::max(m, r->timeout);
    return m;
}

WorkerConnections worker_connections(const config::Config& config) {
    WorkerConnections c;
    c.pages = config.pool_size;
    c.runs = std::max(1, config.job_slots * 4);
    return c;
}

namespace {
// How stale another worker's figures may be in a scrape (docs/ARCHITECTURE.md, "Metrics").
constexpr Millis kMetricsPublishEvery{200};
}  // namespace

int run_worker(const config::Config& config, int listen_fd,
               std::shared_ptr<const page::Catalog> catalog, int index, page::MetricsBoard* board,
               int slot) {
    // A worker outliving its supervisor would keep serving with nobody to restart
    // or stop it.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    log::setup(
        {config.log_level, config.error_log, config.access_log, "worker " + std::to_string(index)});

    // FCGX_Init installs handlers for SIGPIPE, SIGUSR1 and SIGTERM (docs/ARCHITECTURE.md,
    // "libfcgi"): call it first, then take the signals over.
    FCGX_Init();
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1})
        sigaddset(&set, s);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    int sfd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);

    loop::EventLoop loop;
    page::Metrics metrics;
    pg::PoolOptions pool_options;
    pool_options.dsn = config.dsn;
    const WorkerConnections connections = worker_connections(config);
    pool_options.size = connections.pages;
    pool_options.share = config.report_share;
    // Backstop only: the page deadline cancels first; this ends a query whose
    // cancel was lost (docs/ARCHITECTURE.md, "libpq").
    pool_options.statement_timeout = longest_timeout(config, *catalog) + Millis(500);
    pool_options.transaction_pooler = config.pool_mode == config::Config::PoolMode::Transaction;
    pool_options.share_connections = config.share_connections;
    pool_options.share_fast = config.share_fast;
    pool_options.share_stall = config.share_stall;
    pg::Pool pool(loop, pool_options);

    // Jobs (docs/ARCHITECTURE.md, "Processes"): bookkeeping statements on a few connections to
    // jobs_dsn, a LISTEN connection for job events, and the job sections on a pool of their own, so
    // that hour-long jobs never take connections from pages.
    pg::PoolOptions meta_options;
    meta_options.dsn = config.jobs_dsn;
    meta_options.size = connections.meta;
    meta_options.share = 1.0;
    meta_options.statement_timeout = Millis(30000);
    pg::Pool meta_pool(loop, meta_options);
    pg::Statements meta(loop, meta_pool, Millis(10000));
    // Result rows (chunks written by running jobs, read back by /jobs/ID/result) on
    // a pool of their own: a large result never delays a heartbeat, a claim or a
    // progress write. Writes and reads are two shares, half the pool each.
    pg::PoolOptions result_options = meta_options;
    result_options.size = connections.results;
    result_options.share = 0.5;
    // No backstop: a result streamed to a slow client may take long; the stream
    // is cancelled when its client leaves.
    result_options.statement_timeout = Millis(0);
    pg::Pool result_pool(loop, result_options);
    pg::Statements result_statements(loop, result_pool, Millis(30000));
    pg::PoolOptions run_options;
    run_options.dsn = config.dsn;
    run_options.size = connections.runs;
    run_options.share = 1.0;
    run_options.statement_timeout = config.job_timeout + Millis(500);
    run_options.transaction_pooler = pool_options.transaction_pooler;
    pg::Pool run_pool(loop, run_options);
    jobs::Store store(meta, result_statements);
    jobs::Hub hub(loop, config.jobs_dsn, store);
    jobs::RunnerOptions runner_options;
    runner_options.slots = config.job_slots;
    runner_options.job_timeout = config.job_timeout;
    runner_options.retention = config.job_retention;
    runner_options.results.max_result = config.job_max_result;
    runner_options.lease = config.job_lease;
    jobs::Runner runner(loop, run_pool, store, catalog->reports, runner_options);
    page::JobRoutes job_routes(loop, store, hub, result_pool, [&catalog](const std::string& name) {
        auto it = catalog->reports.find(name);
        return it == catalog->reports.end() ? nullptr : it->second;
    });
    job_routes.set_max_queued(config.job_max_queued);
    job_routes.set_retries(config.job_retries);
    job_routes.set_html_rows(config.max_rows);
    hub.on_any = [&runner](const jobs::JobEvent& ev, const std::string&) { runner.on_event(ev); };
    hub.wanted = [&runner](const std::string& id) { return runner.runs(id); };
    hub.on_queued = [&runner] { runner.on_event(jobs::JobEvent{"", "queued", 0}); };
    hub.on_resync = [&runner, &job_routes] {
        job_routes.resync();
        runner.on_event(jobs::JobEvent{"", "queued", 0});  // claim what was queued meanwhile
    };
    hub.start();
    runner.start();  // with job_slots = 0 it only sweeps (reaps and purges)

    page::Router router(loop, pool, metrics, catalog, config, &job_routes, &runner, &hub);
    fcgi::Listener listener(loop, listen_fd, config.max_body, config.send_timeout,
                            [&router, &metrics, &listener](std::unique_ptr<fcgi::Request> r) {
                                ++metrics.fastcgi_requests;
                                metrics.fastcgi_connections = listener.connections_accepted();
                                router.handle(std::move(r));
                            });
    // Other workers' scrapes read what this one published last: a few times a
    // second, and at exit, so that a drained worker's counts are all folded in.
    router.set_metrics_board(board, slot, index);
    std::function<void()> publish = [&] {
        router.publish_metrics();
        loop.add_timer(kMetricsPublishEvery, publish);
    };
    if (board) publish();

    bool draining = false;
    std::function<void()> check_drained = [&] {
        // Answers still being sent are bounded by send_timeout.
        if (router.pending() == 0 && runner.running() == 0 && meta.in_flight() == 0 &&
            result_statements.in_flight() == 0 && listener.ending() == 0) {
            loop.stop();
            return;
        }
        loop.add_timer(Millis(20), check_drained);
    };
    loop.watch(sfd, POLLIN, [&](short) {
        signalfd_siginfo si{};
        while (::read(sfd, &si, sizeof si) == sizeof si) {
            switch (si.ssi_signo) {
                case SIGTERM:
                case SIGINT:
                    if (draining) break;
                    draining = true;
                    spdlog::info("draining: {} pages pending", router.pending());
                    listener.stop();
                    job_routes.drain();
                    runner.drain([] {});
                    check_drained();
                    break;
                case SIGQUIT:
                    spdlog::info("stopping at once on SIGQUIT");
                    loop.stop();
                    break;
                case SIGUSR1:
                    log::reopen();
                    break;
                case SIGHUP:
                    break;  // the supervisor replaces workers on reload
            }
        }
    });
    spdlog::info("worker {} (pid {}) serving, pool_size {}", index, ::getpid(), config.pool_size);
    loop.run();
    router.publish_metrics();
    spdlog::info("worker {} exiting", index);
    loop.unwatch(sfd);
    ::close(sfd);
    return 0;
}

}  // namespace asyncpage
