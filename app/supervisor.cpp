// Supervisor: owns the listen socket and the worker processes. It never touches
// PostgreSQL or FastCGI requests; it forks, watches, restarts and stops workers.
#include "supervisor.hpp"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

#include "fcgi/listener.hpp"
#include "jobs/release.hpp"
#include "log/log.hpp"
#include "reports/parser.hpp"
#include "worker.hpp"

namespace asyncpage {

namespace {
struct WorkerSlot {
    pid_t pid = 0;
    TimePoint started{};
    TimePoint restart_at{};  // when pid == 0 and not stopping
};

void raise_fd_limit() {
    // Every pending page holds a FastCGI fd and may hold a PostgreSQL one.
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
}

// Likely mistakes in files that load (a misspelt header key): logged, not refused.
void log_warnings(const reports::ReportSet& set) {
    for (auto& [name, report] : set.reports) {
        for (auto& w : report.warnings)
            spdlog::warn("report {}: {}", name, w.to_string());
    }
}

// What SIGHUP would switch to; nullopt (with the reason logged) when the new
// config or report set must not replace the one serving now.
struct Generation {
    config::Config config;
    std::shared_ptr<const page::Catalog> catalog;
};

std::optional<Generation> load_for_reload(const std::string& path, const config::Config& old,
                                          const page::Catalog& old_catalog) {
    Generation g;
    try {
        g.config = config::load_config(path, config::environment());
    } catch (const std::exception& e) {
        spdlog::error("reload refused, keeping the running config: {}: {}", path, e.what());
        return std::nullopt;
    }
    if (g.config.listen != old.listen) {
        spdlog::error("reload refused: listen changed from {} to {}; restart to move the socket",
                      old.listen, g.config.listen);
        return std::nullopt;
    }
    auto set = reports::load_reports(g.config.reports_dir, g.config.default_timeout);
    log_warnings(set);
    // A broken file never stops the reload of the others (README, "Operations"): it
    // is skipped and logged; if an earlier version of it was loaded, that version
    // keeps serving, so a bad edit does not take a working report away.
    std::vector<std::shared_ptr<const reports::Report>> kept;
    for (auto& e : set.errors) {
        auto it = old_catalog.reports.find(std::filesystem::path(e.file).stem().string());
        if (it != old_catalog.reports.end() && it->second->file == e.file) {
            spdlog::error("report skipped on reload, its previous version keeps serving: {}",
                          e.to_string());
            kept.push_back(it->second);
        } else {
            spdlog::error("report skipped on reload: {}", e.to_string());
        }
    }
    // A report that vanished is more often a botched deploy than a decision:
    // removing reports takes a restart.
    for (auto& [name, r] : old_catalog.reports) {
        if (!set.reports.count(name) &&
            std::none_of(kept.begin(), kept.end(), [&](auto& k) { return k->name == name; })) {
            spdlog::error(
                "reload refused: report {} ({}) is gone; restart asyncpage to remove reports", name,
                r->file);
            return std::nullopt;
        }
    }
    page::Catalog catalog = page::make_catalog(std::move(set));
    for (auto& k : kept)
        catalog.reports.emplace(k->name, k);
    g.catalog = std::make_shared<const page::Catalog>(std::move(catalog));
    return g;
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
    return "stopped";
}
}  // namespace

int run_supervisor(const config::Config& initial, const std::string& config_path) {
    config::Config config = initial;
    log::setup({config.log_level, config.error_log, config.access_log, "supervisor"});
    raise_fd_limit();

    auto set = reports::load_reports(config.reports_dir, config.default_timeout);
    for (auto& e : set.errors)
        spdlog::error("report skipped: {}", e.to_string());
    log_warnings(set);
    auto catalog = std::make_shared<const page::Catalog>(page::make_catalog(std::move(set)));
    Millis longest = longest_timeout(config, *catalog);
    spdlog::info("{} reports loaded from {}", catalog->reports.size(), config.reports_dir);
    if (config.pool_mode == config::Config::PoolMode::Transaction &&
        config.jobs_dsn == config.dsn) {
        spdlog::warn(
            "pool_mode = transaction and jobs_dsn is dsn: LISTEN through a transaction pooler "
            "hears nothing, so jobs start late; set jobs_dsn to PostgreSQL itself");
    }

    int listen_fd;
    try {
        listen_fd = fcgi::open_listen_socket(config.listen);
    } catch (const std::exception& e) {
        spdlog::critical("cannot listen on {}: {}", config.listen, e.what());
        return 1;
    }
    struct stat socket_stat {};
    bool unix_socket = config.listen[0] == '/';
    if (unix_socket) ::stat(config.listen.c_str(), &socket_stat);

    sigset_t set_mask;
    sigemptyset(&set_mask);
    for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1})
        sigaddset(&set_mask, s);
    sigset_t old_mask;
    ::sigprocmask(SIG_BLOCK, &set_mask, &old_mask);
    int sfd = ::signalfd(-1, &set_mask, SFD_CLOEXEC | SFD_NONBLOCK);

    // Mapped before the first fork: every worker, of every generation, counts into
    // it (docs/ARCHITECTURE.md, "Metrics").
    page::MetricsBoard board;
    std::vector<WorkerSlot> workers(static_cast<std::size_t>(config.workers));
    std::set<pid_t> retiring;   // workers of an older generation, draining after a reload
    std::set<pid_t> releasing;  // children releasing a dead worker's job leases
    bool quitting = false;      // SIGQUIT: workers stop at once, keeping their leases
    auto spawn = [&](std::size_t i) {
        int slot = board.reserve(static_cast<int>(i));
        if (slot < 0) spdlog::warn("no metrics slot left: worker {} counts alone", i);
        pid_t pid = ::fork();
        if (pid < 0) {
            spdlog::error("fork failed: {}", std::strerror(errno));
            board.release(slot);
            workers[i].restart_at = Clock::now() + Millis(1000);
            return;
        }
        if (pid == 0) {
            ::close(sfd);
            ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
            int rc = run_worker(config, listen_fd, catalog, static_cast<int>(i), &board, slot);
            spdlog::default_logger()->flush();
            ::_exit(rc);
        }
        board.set_pid(slot, pid);
        workers[i].pid = pid;
        workers[i].started = Clock::now();
    };
    for (std::size_t i = 0; i < workers.size(); ++i)
        spawn(i);
    spdlog::info("listening on {} with {} workers", config.listen, workers.size());
    // systemd Type=notify: ready once the socket is open and the workers forked.
    sd_notify(0, "READY=1");

    bool stopping = false;
    TimePoint kill_at{};
    auto alive = [&] {
        int n = static_cast<int>(retiring.size());
        for (auto& w : workers)
            n += w.pid > 0;
        return n;
    };
    auto signal_workers = [&](int sig) {
        for (auto& w : workers) {
            if (w.pid > 0) ::kill(w.pid, sig);
        }
        for (pid_t pid : retiring)
            ::kill(pid, sig);
    };
    auto reload = [&] {
        sd_notify(0, "RELOADING=1");
        auto next = load_for_reload(config_path, config, *catalog);
        if (next) {
            config = std::move(next->config);
            catalog = std::move(next->catalog);
            longest = longest_timeout(config, *catalog);
            log::setup({config.log_level, config.error_log, config.access_log, "supervisor"});
            // New workers start accepting on the same socket at once; the old ones
            // stop accepting and finish their pending pages: no request fails.
            for (auto& w : workers) {
                if (w.pid > 0) {
                    retiring.insert(w.pid);
                    ::kill(w.pid, SIGTERM);
                }
            }
            workers.assign(static_cast<std::size_t>(config.workers), WorkerSlot{});
            for (std::size_t i = 0; i < workers.size(); ++i)
                spawn(i);
            spdlog::info("reloaded: {} reports, {} workers; {} old workers draining",
                         catalog->reports.size(), workers.size(), retiring.size());
        }
        sd_notify(0, "READY=1");
    };

    for (;;) {
        if (stopping && alive() == 0) break;
        // Wake for pending restarts and the drain deadline.
        TimePoint now = Clock::now();
        TimePoint next = now + Millis(1000);
        for (auto& w : workers) {
            if (!stopping && w.pid == 0) next = std::min(next, w.restart_at);
        }
        if (stopping) next = std::min(next, kill_at);
        int timeout = static_cast<int>(
            std::max<long>(0, std::chrono::duration_cast<Millis>(next - now).count()));
        pollfd p{sfd, POLLIN, 0};
        int n = ::poll(&p, 1, timeout);
        now = Clock::now();
        if (n > 0) {
            signalfd_siginfo si{};
            while (::read(sfd, &si, sizeof si) == sizeof si) {
                switch (si.ssi_signo) {
                    case SIGTERM:
                    case SIGINT:
                        if (!stopping) {
                            sd_notify(0, "STOPPING=1");
                            spdlog::info("draining: waiting for pending pages (at most {} ms)",
                                         (longest + kDrainGrace).count());
                            stopping = true;
                            kill_at = now + longest + kDrainGrace;
                            signal_workers(SIGTERM);
                        }
                        break;
                    case SIGQUIT:
                        spdlog::info("stopping at once on SIGQUIT");
                        sd_notify(0, "STOPPING=1");
                        stopping = true;
                        quitting = true;
                        kill_at = now + Millis(2000);
                        signal_workers(SIGQUIT);
                        break;
                    case SIGUSR1:
                        log::reopen();
                        signal_workers(SIGUSR1);
                        break;
                    case SIGHUP:
                        if (!stopping) reload();
                        break;
                    case SIGCHLD:
                        break;  // reaped below
                }
            }
        }
        int status = 0;
        pid_t pid;
        while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
            board.retire(pid);
            if (releasing.erase(pid)) continue;
            // A worker that did not drain (killed, crashed, stopped at once) may
            // still hold job leases: a child releases them now, so its jobs are
            // back in the queue at once rather than when the leases expire.
            bool drained = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !quitting;
            bool ours = retiring.count(pid) > 0 ||
                        std::any_of(workers.begin(), workers.end(),
                                    [pid](const WorkerSlot& w) { return w.pid == pid; });
            if (ours && !drained) {
                std::string why =
                    WIFSIGNALED(status) ? fmt::format("was killed by signal {} ({})",
                                                      WTERMSIG(status), strsignal(WTERMSIG(status)))
                    : quitting          ? "was stopped at once (SIGQUIT)"
                                        : fmt::format("exited with status {}", WEXITSTATUS(status));
                if (pid_t child = jobs::fork_release(config.jobs_dsn, pid, why))
                    releasing.insert(child);
            }
            if (retiring.erase(pid)) {
                spdlog::info("old worker {} {}", pid, describe_status(status));
                continue;
            }
            for (auto& w : workers) {
                if (w.pid != pid) continue;
                w.pid = 0;
                if (stopping) {
                    spdlog::info("worker {} {}", pid, describe_status(status));
                    break;
                }
                // A worker that dies right after starting (bad environment) is
                // restarted once a second, not in a tight loop.
                bool early = now - w.started < Millis(1000);
                w.restart_at = early ? w.started + Millis(1000) : now;
                spdlog::error("worker {} {}; restarting{}", pid, describe_status(status),
                              early ? " in a second" : "");
                break;
            }
        }
        if (!stopping) {
            for (std::size_t i = 0; i < workers.size(); ++i) {
                if (workers[i].pid == 0 && workers[i].restart_at <= now) spawn(i);
            }
        } else if (now >= kill_at && alive() > 0) {
            spdlog::warn("{} workers still running after the drain deadline: killing", alive());
            signal_workers(SIGKILL);
            kill_at = now + Millis(60000);
        }
    }
    ::close(listen_fd);
    if (unix_socket) {
        // Remove the socket only if it is still ours (not replaced by a new server).
        struct stat now_stat {};
        if (::stat(config.listen.c_str(), &now_stat) == 0 &&
            now_stat.st_ino == socket_stat.st_ino) {
            ::unlink(config.listen.c_str());
        }
    }
    spdlog::info("stopped");
    return 0;
}

}  // namespace asyncpage
