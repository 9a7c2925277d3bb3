// The standby is made the way README's "Beyond one machine" describes one:
// pg_basebackup -R writes standby.signal and primary_conninfo; the primary needs
// no change (PostgreSQL 15: wal_level replica, max_wal_senders 10).
#include "support/standby.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "support/conninfo.hpp"
#include "support/log_registry.hpp"
#include "support/pg.hpp"

namespace support {

namespace {
constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";
}

Standby::Standby(const std::string& extra_conf) {
    const char* os_user = std::getenv("ASYNCPAGE_TEST_PGUSER");
    if (::geteuid() == 0) {
        if (!os_user || !*os_user)
            throw std::runtime_error(
                "a standby needs ASYNCPAGE_TEST_PGUSER (scripts/test sets it)");
        user_ = os_user;
        const passwd* pw = ::getpwnam(user_.c_str());
        if (!pw || ::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0)
            throw std::runtime_error("cannot give " + dir_.path().string() + " to " + user_);
    }
    ::chmod(dir_.path().c_str(), 0755);
    port_ = free_tcp_port();  // only names the socket: the standby listens on no TCP port
    // A replication slot keeps the WAL the standby still needs: without one, a busy
    // primary (the other suites) recycled a segment between the base backup and
    // the start of streaming ("requested WAL segment ... has already been removed").
    slot_ = unique_name("apsb");
    auto primary = parse_conninfo(test_dsn());
    const std::string data = (dir_ / "data").string();
    if (int rc = pg(std::string(kBin) + "pg_basebackup -h " + shell_quote(primary["host"]) +
                    " -p " + shell_quote(primary.count("port") ? primary["port"] : "5432") +
                    " -U " + shell_quote(primary.count("user") ? primary["user"] : "postgres") +
                    " -D " + shell_quote(data) + " -R -X stream -c fast -C -S " + slot_);
        rc != 0)
        throw std::runtime_error("pg_basebackup failed (exit " + std::to_string(rc) +
                                 "): " + tail_file(dir_ / "pg.out", 20));
    // Later lines win: the copied postgresql.conf names the primary's socket and
    // port. (max_connections stays the primary's: a standby may not have fewer.)
    std::string conf = read_file(dir_ / "data" / "postgresql.conf");
    conf += "\n# standby of the tests\nport = " + std::to_string(port_) +
            "\nunix_socket_directories = '" + dir_.path().string() +
            "'\nlisten_addresses = ''\nhot_standby = on\n"
            "shared_buffers = 16MB\n" +
            extra_conf + "\n";
    write_file(dir_ / "data" / "postgresql.conf", conf);
    if (int rc = pg(std::string(kBin) + "pg_ctl -w -t 30 -D " + shell_quote(data) + " -l " +
                    shell_quote((dir_ / "postgres.log").string()) + " start");
        rc != 0)
        throw std::runtime_error("the standby did not start: " + log_tail());
    running_ = true;
    register_log("standby postgres.log", dir_ / "postgres.log");
    catch_up();
}

Standby::~Standby() {
    unregister_log(dir_ / "postgres.log");
    if (current_test_failed())
        dump_log("standby postgres.log of a failed test", dir_ / "postgres.log", 30);
    if (running_)
        pg(std::string(kBin) + "pg_ctl -w -t 30 -m immediate -D " +
           shell_quote((dir_ / "data").string()) + " stop");
    // The primary's walsender for it may outlive the standby for a moment: an
    // active slot cannot be dropped yet.
    try {
        Pg primary;
        wait_until(
            [&] {
                try {
                    primary.exec(
                        "SELECT pg_drop_replication_slot(slot_name) FROM "
                        "pg_replication_slots WHERE slot_name = '" +
                        slot_ + "'");
                    return true;
                } catch (const std::exception&) {
                    return false;
                }
            },
            10s, 100ms);
    } catch (...) {
    }
}

int Standby::pg(const std::string& command) const {
    // (The current directory must be one the OS user can read.)
    std::string cmd = "cd / && ";
    cmd += user_.empty() ? command : "runuser -u " + shell_quote(user_) + " -- " + command;
    cmd += " >" + shell_quote((dir_ / "pg.out").string()) + " 2>&1";
    int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string Standby::dsn() const {
    return test_dsn_with({{"host", host()}, {"port", std::to_string(port_)}});
}

void Standby::catch_up() const {
    Pg primary;
    const std::string lsn = primary.scalar("SELECT pg_current_wal_lsn()::text");
    Pg standby(dsn());
    if (!wait_until(
            [&] {
                return standby.scalar_int("SELECT (pg_last_wal_replay_lsn() >= '" + lsn +
                                          "'::pg_lsn)::int") == 1;
            },
            20s, 20ms))
        throw std::runtime_error("the standby did not replay up to " + lsn + ": " + log_tail());
}

void Standby::stop() {
    if (!running_) return;
    if (pg(std::string(kBin) + "pg_ctl -w -t 30 -m fast -D " +
           shell_quote((dir_ / "data").string()) + " stop") != 0)
        throw std::runtime_error("pg_ctl stop of the standby failed: " + log_tail());
    running_ = false;
}

std::string Standby::log_tail(int lines) const {
    return tail_file(dir_ / "postgres.log", lines);
}

}  // namespace support
