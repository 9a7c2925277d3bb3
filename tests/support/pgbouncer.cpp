// PgBouncer for the tests: config rendered into a private dir, started in the
// foreground as a child, ready once a client gets an answer through it.
#include "support/pgbouncer.hpp"

#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "support/conninfo.hpp"
#include "support/log_registry.hpp"

namespace fs = std::filesystem;

namespace support {

PgBouncer::PgBouncer(int server_connections, const std::vector<std::string>& extra_users) {
    auto target = parse_conninfo(test_dsn());
    const std::string user = target.count("user") ? target["user"] : "";
    const char* os_user = std::getenv("ASYNCPAGE_TEST_PGUSER");
    const bool as_root = ::geteuid() == 0;
    const passwd* pw = as_root && os_user ? ::getpwnam(os_user) : nullptr;
    if (as_root && !pw)
        throw std::runtime_error(
            "PgBouncer refuses root: set ASYNCPAGE_TEST_PGUSER (scripts/test does)");
    if (pw) {
        if (::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0)
            throw std::runtime_error(std::string("chown: ") + std::strerror(errno));
        ::chmod(dir_.path().c_str(), 0755);
    }
    // One entry for every database name, to the test cluster; trust on both
    // sides (the cluster trusts its local socket; PgBouncer still wants the user
    // listed in auth_file).
    std::string db = "* =";
    for (const char* k : {"host", "port"})
        if (target.count(k)) db += std::string(" ") + k + "=" + target[k];
    std::string users = "\"" + (user.empty() ? std::string("postgres") : user) + "\" \"\"\n";
    for (const auto& u : extra_users)
        users += "\"" + u + "\" \"\"\n";
    write_file(dir_ / "users.txt", users);
    write_file(dir_ / "pgbouncer.ini",
               "[databases]\n" + db +
                   "\n[pgbouncer]\n"
                   "unix_socket_dir = " +
                   dir_.path().string() + "\nlisten_port = " + std::to_string(port_) +
                   "\nauth_type = trust\n"
                   "auth_file = " +
                   (dir_ / "users.txt").string() +
                   "\npool_mode = transaction\n"
                   "default_pool_size = " +
                   std::to_string(server_connections) +
                   "\nmax_client_conn = 1000\n"
                   "logfile = " +
                   (dir_ / "pgbouncer.log").string() +
                   "\npidfile = " + (dir_ / "pgbouncer.pid").string() + "\n");
    if (pw) {
        for (const char* f : {"users.txt", "pgbouncer.ini"})
            if (::chown((dir_ / f).c_str(), pw->pw_uid, pw->pw_gid) != 0)
                throw std::runtime_error(std::string("chown: ") + std::strerror(errno));
    }
    ExecArgs exec({"/usr/sbin/pgbouncer", (dir_ / "pgbouncer.ini").string()}, {});
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
        ::signal(SIGPIPE, SIG_DFL);
        if (pw && (::setgroups(0, nullptr) != 0 || ::setgid(pw->pw_gid) != 0 ||
                   ::setuid(pw->pw_uid) != 0))
            ::_exit(126);
        ::execve(exec.argv()[0], exec.argv(), exec.envp());
        ::_exit(127);
    }
    register_log("pgbouncer log", dir_ / "pgbouncer.log");
    const std::string probe = dsn() + " connect_timeout=2";
    if (!wait_until([&] { return PQping(probe.c_str()) == PQPING_OK; }, 10s, 50ms)) {
        std::string tail = log_tail();
        unregister_log(dir_ / "pgbouncer.log");
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        throw std::runtime_error("PgBouncer did not start: " + tail);
    }
}

PgBouncer::~PgBouncer() {
    unregister_log(dir_ / "pgbouncer.log");
    if (current_test_failed())
        dump_log("pgbouncer log of a failed test", dir_ / "pgbouncer.log", 40);
    // SIGTERM: immediate shutdown (pgbouncer(1), "Signals").
    ::kill(pid_, SIGTERM);
    if (!wait_until([&] { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }, 5s)) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

std::string PgBouncer::dsn() const {
    return dsn_as("");
}

std::string PgBouncer::dsn_as(const std::string& user) const {
    std::map<std::string, std::string> replace = {{"host", dir_.path().string()},
                                                  {"port", std::to_string(port_)}};
    if (!user.empty()) replace["user"] = user;
    return test_dsn_with(replace);
}

std::string PgBouncer::log_tail(int lines) const {
    return tail_file(dir_ / "pgbouncer.log", lines);
}

}  // namespace support
