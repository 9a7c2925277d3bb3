// Releasing a dead worker's leases from a child of the supervisor. Blocking libpq
// (PQconnectdb, PQexecParams) is fine here: the child does nothing else, and the
// supervisor's own loop never waits for it (it reaps the child like a worker).
#include "jobs/release.hpp"

#include <libpq-fe.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace asyncpage::jobs {

namespace {
// The worker's runs, as the runner recorded them at the claim (host, pid).
constexpr const char* kReleaseSql = R"sql(
SELECT count(asyncpage.lose_run(j.id, j.run, $3))
FROM asyncpage.jobs j
WHERE j.state = 'running' AND j.host = $1 AND j.worker_pid = $2::int)sql";

std::string host_name() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return host;
}
}  // namespace

int release_worker_leases(const std::string& jobs_dsn, pid_t pid, const std::string& why) {
    // A database that does not answer must not keep the child for long: the leases
    // then expire on their own (connect_timeout is honoured by the blocking
    // PQconnectdbParams, unlike PQconnectPoll). Keywords after the expanded dsn
    // override its values (libpq, PQconnectdbParams), whether jobs_dsn is
    // key=value text or a postgresql:// URI (to which text cannot be appended).
    const char* keywords[] = {"dbname", "connect_timeout", "application_name", nullptr};
    const char* params[] = {jobs_dsn.c_str(), "5", "asyncpage-release", nullptr};
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdbParams(keywords, params, 1),
                                                      &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        spdlog::error("could not release the jobs of worker {}: {}", pid,
                      PQerrorMessage(conn.get()));
        return -1;
    }
    const std::string host = host_name(), pid_text = std::to_string(pid);
    const std::string reason = "its worker (pid " + pid_text + " on " + host + ") " + why;
    const char* values[] = {host.c_str(), pid_text.c_str(), reason.c_str()};
    std::unique_ptr<PGresult, decltype(&PQclear)> res(
        PQexecParams(conn.get(), kReleaseSql, 3, nullptr, values, nullptr, nullptr, 0), &PQclear);
    if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
        spdlog::error("could not release the jobs of worker {}: {}", pid,
                      PQresultErrorMessage(res.get()));
        return -1;
    }
    int n = std::atoi(PQgetvalue(res.get(), 0, 0));
    if (n > 0) spdlog::warn("released {} jobs of worker {}, which {}", n, pid, why);
    return n;
}

pid_t fork_release(const std::string& jobs_dsn, pid_t pid, const std::string& why) {
    pid_t child = ::fork();
    if (child < 0) {
        spdlog::error("could not fork to release the jobs of worker {}: {}", pid,
                      std::strerror(errno));
        return 0;
    }
    if (child > 0) return child;
    ::prctl(PR_SET_NAME, kReleaseProcessName);
    // The supervisor blocks these for its signalfd; the child takes the defaults.
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    int rc = release_worker_leases(jobs_dsn, pid, why) < 0 ? 1 : 0;
    spdlog::default_logger()->flush();
    ::_exit(rc);
}

}  // namespace asyncpage::jobs
