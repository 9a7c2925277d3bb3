// libpqxx helpers for the suites. Blocking is fine here: this is the test's side.
// Each call runs in its own nontransaction so pg_stat_activity reads are fresh.
#include "support/pg.hpp"

#include <pqxx/pqxx>

#include "support/env.hpp"
#include "support/server.hpp"

#include <cstdio>
#include <mutex>

namespace support {

std::string with_application_name(const std::string& dsn, const std::string& name) {
    if (dsn.rfind("postgres://", 0) == 0 || dsn.rfind("postgresql://", 0) == 0) {
        return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + "application_name=" + name;
    }
    return dsn + " application_name=" + name;
}

namespace {
// The tests' own connections: never named like a server's.
const char* const kTestsName = "asyncpage_tests";
}  // namespace

struct Pg::Impl {
    explicit Impl(const std::string& dsn) : conn(dsn) {}
    pqxx::connection conn;
};

Pg::Pg(const std::string& dsn)
    : impl_(std::make_unique<Impl>(
          with_application_name(dsn.empty() ? test_dsn() : dsn, kTestsName))) {}

Pg::~Pg() = default;

void Pg::exec(const std::string& sql) {
    pqxx::nontransaction tx(impl_->conn);
    tx.exec(sql);
}

std::string Pg::scalar(const std::string& sql) {
    pqxx::nontransaction tx(impl_->conn);
    pqxx::result r = tx.exec(sql);
    if (r.empty()) throw std::runtime_error("no row from: " + sql);
    return r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
}

std::string Pg::scalar(const std::string& sql, const std::string& arg) {
    pqxx::nontransaction tx(impl_->conn);
    pqxx::result r = tx.exec_params(sql, arg);
    if (r.empty()) throw std::runtime_error("no row from: " + sql);
    return r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
}

long long Pg::scalar_int(const std::string& sql) {
    pqxx::nontransaction tx(impl_->conn);
    pqxx::result r = tx.exec(sql);
    if (r.empty()) throw std::runtime_error("no row from: " + sql);
    return r[0][0].as<long long>();
}

long long Pg::scalar_int(const std::string& sql, const std::string& arg) {
    pqxx::nontransaction tx(impl_->conn);
    pqxx::result r = tx.exec_params(sql, arg);
    if (r.empty()) throw std::runtime_error("no row from: " + sql);
    return r[0][0].as<long long>();
}

int Pg::count_active(const std::string& application_name, const std::string& like) {
    pqxx::nontransaction tx(impl_->conn);
    pqxx::result r = tx.exec_params(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
        "AND state = 'active' AND query LIKE $2",
        application_name, like);
    return r[0][0].as<int>();
}

int Pg::count_backends(const std::string& application_name) {
    return static_cast<int>(scalar_int(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", application_name));
}

std::vector<int> Pg::backend_pids(const std::string& application_name) {
    pqxx::nontransaction tx(impl_->conn);
    pqxx::result r =
        tx.exec_params("SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid",
                       application_name);
    std::vector<int> pids;
    for (const auto& row : r)
        pids.push_back(row[0].as<int>());
    return pids;
}

int Pg::terminate_backends(const std::string& application_name) {
    return static_cast<int>(scalar_int(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity "
        "WHERE application_name = $1) s WHERE t",
        application_name));
}

void prepare_test_schema() {
    pqxx::connection conn(with_application_name(test_dsn(), kTestsName));
    pqxx::work tx(conn);
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kTestSchemaLock) +
            ")");  // suites may run in parallel
    tx.exec(
        "CREATE TABLE IF NOT EXISTS asyncpage_test_param_log ("
        " id bigserial PRIMARY KEY, qty int, since date, mode text, label text,"
        " at timestamptz DEFAULT now())");
    // tests/reports/pipeline_*.sql: what pipelined sections did, and when.
    tx.exec(
        "CREATE TABLE IF NOT EXISTS asyncpage_test_pipeline_log ("
        " id bigserial PRIMARY KEY, tag text, at timestamptz DEFAULT clock_timestamp())");
    // Dropped by a pipeline test, so that a section fails to prepare (and passes
    // `asyncpage check` meanwhile).
    tx.exec("CREATE TABLE IF NOT EXISTS asyncpage_test_pipeline_gone (a int)");
    // tests/reports/plan_probe.sql: its columns change under a prepared statement.
    tx.exec("CREATE TABLE IF NOT EXISTS asyncpage_test_plan_probe (a int)");
    // tests/reports/recovery_conflict.sql: truncated on the primary while a
    // standby reads it (replicas_test).
    tx.exec("CREATE TABLE IF NOT EXISTS asyncpage_test_conflict (x int)");
    tx.exec(
        "INSERT INTO asyncpage_test_plan_probe SELECT 1 WHERE NOT EXISTS "
        "(SELECT FROM asyncpage_test_plan_probe)");
    tx.commit();
}

void run_migrate(const std::string& dsn) {
    TempDir dir("asyncpage-migrate");
    write_file(dir / "migrate.toml", "dsn = " + toml_string(dsn) + "\n");
    CommandResult r = run_command(shell_quote(server_binary()) + " migrate --config " +
                                  shell_quote((dir / "migrate.toml").string()));
    if (r.status != 0)
        throw std::runtime_error("asyncpage migrate failed (" + dsn + "):\n" + r.output);
}

void migrate_test_db() {
    static std::once_flag once;
    std::call_once(once, [] { run_migrate(test_dsn()); });
}

JobsDb::JobsDb() {
    migrate_test_db();
    name_ = unique_name("asyncpage_jobs");
    Pg pg;
    pg.exec("DROP DATABASE IF EXISTS " + name_);
    pg.exec("CREATE DATABASE " + name_);
    // Later keywords win in a libpq connection string.
    dsn_ = test_dsn() + " dbname=" + name_;
    run_migrate(dsn_);
}

JobsDb::~JobsDb() {
    try {
        Pg pg;
        pg.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dropping %s: %s\n", name_.c_str(), e.what());
    }
}

}  // namespace support
