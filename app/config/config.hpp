#pragma once
// The TOML config (README, "Configuration"), with ASYNCPAGE_<KEY> environment overrides.
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

namespace asyncpage::config {

struct Config {
    std::string listen = "/run/asyncpage/asyncpage.sock";  // socket path or host:port
    int workers = 0;  // 0 in the file is an error; default = cores
    std::string dsn;
    std::string jobs_dsn;  // defaults to dsn
    int pool_size = 16;
    int max_pending = 10000;
    int max_rows = 10000;  // rows of one section in an HTML or JSON page
    std::chrono::milliseconds default_timeout{5000};
    std::chrono::milliseconds job_timeout{3600 * 1000};
    int job_slots = 4;
    std::chrono::milliseconds job_retention{24 * 3600 * 1000};
    int job_max_queued = 100;  // queued jobs per owner (or client address); more is a 429
    std::size_t job_max_result = std::size_t(1) << 30;  // bytes of one job's stored rows
    // Runs after the first when a job's worker, host or database session is lost
    // (a report's `retries:` overrides it).
    int job_retries = 2;
    // A claim's lease: renewed every job_lease / 4 by the running worker; a job
    // whose lease expired (its host vanished) is taken by another worker.
    std::chrono::milliseconds job_lease{10000};
    std::string reports_dir = "reports";
    std::string log_level = "info";  // trace|debug|info|warn|error|critical|off
    std::string access_log;          // empty: stderr; "off": none
    std::string error_log;           // empty: stderr
    std::size_t max_body = 1024 * 1024;
    double report_share = 0.5;  // (0, 1]
    bool debug = false;
    // A FastCGI peer that takes no output for this long while some is queued is
    // dropped (its page's queries cancelled).
    std::chrono::milliseconds send_timeout{60000};
    // "transaction" when a transaction pooler (PgBouncer) sits between asyncpage
    // and PostgreSQL on dsn: nothing is then kept on a server connection.
    enum class PoolMode { Session, Transaction } pool_mode = PoolMode::Session;
    // Fast statements of several pages may share a connection in pipeline mode
    // (docs/ARCHITECTURE.md, "Sharing a connection between pages").
    bool share_connections = true;
    // A statement whose 99th percentile is under share_fast may share; a shared
    // statement that has run share_stall with others behind it is cancelled and
    // run again alone.
    std::chrono::milliseconds share_fast{5};
    std::chrono::milliseconds share_stall{50};
};

// Names the offending key: what() is "config key 'pool_size': must be an integer >= 1".
class ConfigError : public std::runtime_error {
  public:
    ConfigError(std::string key, const std::string& message);
    const std::string& key() const { return key_; }

  private:
    std::string key_;
};

// Reads `path` (TOML, flat top-level keys), then applies overrides from `env`
// (ASYNCPAGE_POOL_SIZE=32 ...; values parsed as the key's type from text).
// Relative reports_dir is resolved against the config file's directory.
// Throws ConfigError for unknown keys (also unknown ASYNCPAGE_* variables other
// than ASYNCPAGE_CONFIG), wrong types and out-of-range values; a missing `dsn` is an error.
Config load_config(const std::string& path, const std::map<std::string, std::string>& env);

// The process environment as a map (for load_config).
std::map<std::string, std::string> environment();

}  // namespace asyncpage::config
