#pragma once
// Synchronous PostgreSQL access for the tests (libpqxx): statements, scalars, and
// what one test server's backends are doing right now (pg_stat_activity rows with
// that server's application_name, Server::application_name()): suites and cases
// that run at once never see or touch each other's backends.
#include <memory>
#include <string>
#include <vector>

namespace support {

class Pg {
  public:
    // Connects with application_name=asyncpage_tests (so never counted as asyncpage).
    explicit Pg(const std::string& dsn = "");
    ~Pg();
    Pg(const Pg&) = delete;
    Pg& operator=(const Pg&) = delete;

    void exec(const std::string& sql);
    // First column of the first row as text / integer (throws when no row).
    std::string scalar(const std::string& sql);
    long long scalar_int(const std::string& sql);
    // Same with $1 bound to `arg`.
    std::string scalar(const std::string& sql, const std::string& arg);
    long long scalar_int(const std::string& sql, const std::string& arg);

    // Backends named `application_name` that are running a statement whose text
    // matches `like`.
    int count_active(const std::string& application_name, const std::string& like);
    // All backends named `application_name` (any state), and their pids.
    int count_backends(const std::string& application_name);
    std::vector<int> backend_pids(const std::string& application_name);
    // pg_terminate_backend on every backend named `application_name`: how many were
    // terminated.
    int terminate_backends(const std::string& application_name);

  private:
    struct Impl;  // the pqxx::connection (a typedef in libpqxx 6: not forward-declarable)
    std::unique_ptr<Impl> impl_;
};

// `dsn` with application_name set to `name` (a later keyword wins in a libpq
// connection string; a URI gets a query parameter).
std::string with_application_name(const std::string& dsn, const std::string& name);

// Creates the tables tests/reports use (idempotent; safe when suites run in parallel).
void prepare_test_schema();
// The advisory lock prepare_test_schema() takes: a test that drops one of those
// tables for a while holds it (pg_advisory_lock) so that no server started meanwhile
// puts the table back.
constexpr long kTestSchemaLock = 20240521;

// `asyncpage migrate` against `dsn` (as jobs_dsn); throws with its output on failure.
void run_migrate(const std::string& dsn);
// The test database migrated once per process: report SQL there calls asyncpage.progress.
void migrate_test_db();

// A database of its own for asyncpage's job tables (jobs_dsn), migrated, dropped
// at the end: the servers of different tests (and suites running in parallel)
// never claim each other's jobs. The test database itself is migrated once too,
// since report SQL calls asyncpage.progress there (dsn).
class JobsDb {
  public:
    JobsDb();
    ~JobsDb();
    JobsDb(const JobsDb&) = delete;
    JobsDb& operator=(const JobsDb&) = delete;
    const std::string& dsn() const { return dsn_; }
    const std::string& name() const { return name_; }

  private:
    std::string name_;
    std::string dsn_;
};

}  // namespace support
