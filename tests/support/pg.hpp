#pragma once
// Synchronous PostgreSQL access for the tests (libpqxx): statements, scalars, and
// what asyncpage's own backends are doing right now (pg_stat_activity rows with
// application_name = 'asyncpage').
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
    long long scalar_int(const std::string& sql, const std::string& arg);

    // asyncpage backends that are running a statement whose text matches `like`.
    int count_active(const std::string& like);
    // All asyncpage backends (any state), and their pids.
    int count_backends();
    std::vector<int> backend_pids();
    // pg_terminate_backend on every asyncpage backend: how many were terminated.
    int terminate_backends();

  private:
    struct Impl;  // the pqxx::connection (a typedef in libpqxx 6: not forward-declarable)
    std::unique_ptr<Impl> impl_;
};

// Creates the tables tests/reports use (idempotent; safe when suites run in parallel).
void prepare_test_schema();

}  // namespace support
