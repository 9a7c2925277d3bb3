// The TOML config: every key, defaults, ASYNCPAGE_* overrides, and errors that
// name the offending key.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "config/config.hpp"

using namespace asyncpage::config;
using Env = std::map<std::string, std::string>;
using std::chrono::milliseconds;

namespace {

struct TempConfig {
    std::filesystem::path dir;
    std::filesystem::path file;
    TempConfig() {
        std::random_device rd;
        dir = std::filesystem::temp_directory_path() /
              ("asyncpage-unit-config-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(dir);
        file = dir / "asyncpage.toml";
    }
    ~TempConfig() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    Config load(const std::string& toml, const Env& env = {}) const {
        std::ofstream(file, std::ios::binary) << toml;
        return load_config(file.string(), env);
    }
};

// load() must throw a ConfigError with this key and a message containing `part`.
void expect_error(const std::string& toml, const Env& env, const std::string& key,
                  const std::string& part) {
    TempConfig t;
    try {
        t.load(toml, env);
        BOOST_ERROR("no ConfigError for:\n" << toml);
    } catch (const ConfigError& e) {
        BOOST_TEST_INFO("what: " << e.what());
        BOOST_TEST(e.key() == key);
        BOOST_TEST(std::string(e.what()).find(part) != std::string::npos);
    }
}

const std::string dsn_line = "dsn = \"dbname=app\"\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(defaults_with_only_dsn) {
    TempConfig t;
    Config c = t.load(dsn_line);
    BOOST_TEST(c.listen == "/run/asyncpage/asyncpage.sock");
    BOOST_TEST(c.workers == static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    BOOST_TEST(c.dsn == "dbname=app");
    BOOST_TEST(c.jobs_dsn == "dbname=app");
    BOOST_TEST(c.pool_size == 16);
    BOOST_TEST(c.max_pending == 10000);
    BOOST_TEST(c.default_timeout == milliseconds(5000));
    BOOST_TEST(c.job_timeout == milliseconds(3600 * 1000));
    BOOST_TEST(c.job_slots == 4);
    BOOST_TEST(c.job_retention == milliseconds(24 * 3600 * 1000));
    BOOST_TEST(c.job_max_queued == 100);
    BOOST_TEST(c.job_max_result == std::size_t(1) << 30);
    BOOST_TEST(c.job_retries == 2);
    BOOST_TEST(c.job_lease == milliseconds(10000));
    BOOST_TEST(c.reports_dir == (t.dir / "reports").string());
    BOOST_TEST(c.log_level == "info");
    BOOST_TEST(c.access_log.empty());
    BOOST_TEST(c.error_log.empty());
    BOOST_TEST(c.max_body == 1024u * 1024);
    BOOST_TEST(c.report_share == 0.5);
    BOOST_TEST(c.debug == false);
}

BOOST_AUTO_TEST_CASE(every_key_from_the_file) {
    TempConfig t;
    Config c = t.load(
        "# asyncpage\n"
        "listen = \"127.0.0.1:9000\"\n"
        "workers = 3\n"
        "dsn = \"host=db dbname=app\"\n"
        "jobs_dsn = \"host=primary dbname=app\"\n"
        "pool_size = 32\n"
        "max_pending = 500\n"
        "default_timeout = \"250ms\"\n"
        "job_timeout = \"2h\"\n"
        "job_slots = 0\n"
        "job_retention = \"7d\"\n"
        "job_max_result = \"200MB\"\n"
        "reports_dir = \"/srv/reports\"\n"
        "log_level = \"debug\"\n"
        "access_log = \"/var/log/asyncpage/access.log\"\n"
        "error_log = \"/var/log/asyncpage/error.log\"\n"
        "max_body = \"64KB\"\n"
        "report_share = 0.25\n"
        "debug = true\n");
    BOOST_TEST(c.listen == "127.0.0.1:9000");
    BOOST_TEST(c.workers == 3);
    BOOST_TEST(c.dsn == "host=db dbname=app");
    BOOST_TEST(c.jobs_dsn == "host=primary dbname=app");
    BOOST_TEST(c.pool_size == 32);
    BOOST_TEST(c.max_pending == 500);
    BOOST_TEST(c.default_timeout == milliseconds(250));
    BOOST_TEST(c.job_timeout == milliseconds(2 * 3600 * 1000));
    BOOST_TEST(c.job_slots == 0);
    BOOST_TEST(c.job_retention == milliseconds(7LL * 24 * 3600 * 1000));
    BOOST_TEST(c.job_max_result == 200u * 1024 * 1024);
    BOOST_TEST(c.reports_dir == "/srv/reports");
    BOOST_TEST(c.log_level == "debug");
    BOOST_TEST(c.access_log == "/var/log/asyncpage/access.log");
    BOOST_TEST(c.error_log == "/var/log/asyncpage/error.log");
    BOOST_TEST(c.max_body == 64u * 1024);
    BOOST_TEST(c.report_share == 0.25);
    BOOST_TEST(c.debug == true);
}

BOOST_AUTO_TEST_CASE(value_forms) {
    TempConfig t;
    Config c = t.load(dsn_line +
                      "max_body = 1000\nreport_share = 1\nlisten = \"localhost:8080\"\n"
                      "reports_dir = \"../shared/./reports\"\n");
    BOOST_TEST(c.max_body == 1000u);
    BOOST_TEST(c.report_share == 1.0);
    BOOST_TEST(c.listen == "127.0.0.1:8080");  // localhost is mapped to its literal
    BOOST_TEST(c.reports_dir == (t.dir.parent_path() / "shared" / "reports").string());
    c = t.load(dsn_line + "listen = \"/tmp/a.sock\"\njobs_dsn = \"\"\n");
    BOOST_TEST(c.listen == "/tmp/a.sock");
    BOOST_TEST(c.jobs_dsn == "dbname=app");  // empty means "same as dsn"
}

BOOST_AUTO_TEST_CASE(environment_overrides_win) {
    TempConfig t;
    Env env = {{"ASYNCPAGE_POOL_SIZE", "64"},
               {"ASYNCPAGE_DEBUG", "true"},
               {"ASYNCPAGE_DEFAULT_TIMEOUT", "1.5s"},
               {"ASYNCPAGE_MAX_BODY", "2MB"},
               {"ASYNCPAGE_REPORT_SHARE", "0.75"},
               {"ASYNCPAGE_DSN", "dbname=other"},
               {"ASYNCPAGE_LISTEN", "0.0.0.0:9100"},
               {"ASYNCPAGE_LOG_LEVEL", "warn"},
               {"ASYNCPAGE_REPORTS_DIR", "rep"},
               {"ASYNCPAGE_CONFIG", "/ignored.toml"},
               {"ASYNCPAGE_TEST_PGPORT", "5433"},
               {"ASYNCPAGE_BIN", "/usr/bin/asyncpage"},
               {"ASYNCPAGE_BINARY", "/usr/bin/asyncpage"},
               {"PATH", "/usr/bin"},
               {"asyncpage_pool_size", "1"}};  // not our prefix: ignored
    Config c = t.load(dsn_line + "pool_size = 8\ndebug = false\n", env);
    BOOST_TEST(c.pool_size == 64);
    BOOST_TEST(c.debug == true);
    BOOST_TEST(c.default_timeout == milliseconds(1500));
    BOOST_TEST(c.max_body == 2u * 1024 * 1024);
    BOOST_TEST(c.report_share == 0.75);
    BOOST_TEST(c.dsn == "dbname=other");
    BOOST_TEST(c.jobs_dsn == "dbname=other");
    BOOST_TEST(c.listen == "0.0.0.0:9100");
    BOOST_TEST(c.log_level == "warn");
    BOOST_TEST(c.reports_dir == (t.dir / "rep").string());
}

BOOST_AUTO_TEST_CASE(dsn_from_environment_alone) {
    TempConfig t;
    Config c = t.load("", Env{{"ASYNCPAGE_DSN", "dbname=envonly"},
                              {"ASYNCPAGE_DEBUG", "0"},
                              {"ASYNCPAGE_MAX_BODY", "4096"},
                              {"ASYNCPAGE_WORKERS", "2"}});
    BOOST_TEST(c.dsn == "dbname=envonly");
    BOOST_TEST(c.debug == false);
    BOOST_TEST(c.max_body == 4096u);
    BOOST_TEST(c.workers == 2);
}

BOOST_AUTO_TEST_CASE(missing_dsn) {
    expect_error("pool_size = 4\n", {}, "dsn", "required");
    expect_error("dsn = \"\"\n", {}, "dsn", "required");
}

BOOST_AUTO_TEST_CASE(unknown_keys_and_tables) {
    expect_error(dsn_line + "pool = 4\n", {}, "pool", "config key 'pool': unknown key");
    expect_error(dsn_line + "[server]\nlisten = \"/tmp/x\"\n", {}, "server", "table");
    expect_error(dsn_line + "[dsn2]\n", {}, "dsn2", "table");
    expect_error(dsn_line, {{"ASYNCPAGE_POOLSIZE", "3"}}, "ASYNCPAGE_POOLSIZE",
                 "environment variable ASYNCPAGE_POOLSIZE");
    expect_error(dsn_line, {{"ASYNCPAGE_pool_size", "3"}}, "ASYNCPAGE_pool_size", "unknown");
}

BOOST_AUTO_TEST_CASE(wrong_types_name_the_key) {
    expect_error(dsn_line + "pool_size = \"16\"\n", {}, "pool_size",
                 "config key 'pool_size': expected an integer, got a string");
    expect_error(dsn_line + "pool_size = 1.5\n", {}, "pool_size", "expected an integer");
    expect_error("dsn = 5\n", {}, "dsn", "expected a string, got an integer");
    expect_error(dsn_line + "debug = \"yes\"\n", {}, "debug", "expected true or false");
    expect_error(dsn_line + "default_timeout = 5\n", {}, "default_timeout", "duration string");
    expect_error(dsn_line + "max_body = true\n", {}, "max_body", "size");
    expect_error(dsn_line + "report_share = \"half\"\n", {}, "report_share", "expected a number");
    expect_error(dsn_line + "listen = [\"/a\"]\n", {}, "listen", "got an array");
}

BOOST_AUTO_TEST_CASE(bad_values_name_the_key) {
    expect_error(dsn_line + "workers = 0\n", {}, "workers", "must be an integer >= 1");
    expect_error(dsn_line + "pool_size = 0\n", {}, "pool_size", "must be an integer >= 1");
    expect_error(dsn_line + "pool_size = 99999999999\n", {}, "pool_size", "at most");
    expect_error(dsn_line + "max_pending = -1\n", {}, "max_pending", ">= 1");
    expect_error(dsn_line + "job_slots = -1\n", {}, "job_slots", ">= 0");
    expect_error(dsn_line + "job_max_queued = 0\n", {}, "job_max_queued", ">= 1");
    expect_error(dsn_line + "job_retries = -1\n", {}, "job_retries", ">= 0");
    expect_error(dsn_line + "job_retries = 101\n", {}, "job_retries", "at most 100");
    expect_error(dsn_line + "job_lease = \"500ms\"\n", {}, "job_lease", "at least 1s");
    expect_error(dsn_line + "default_timeout = \"5 minutes\"\n", {}, "default_timeout", "duration");
    expect_error(dsn_line + "job_timeout = \"0s\"\n", {}, "job_timeout", "greater than zero");
    expect_error(dsn_line + "job_retention = \"-1h\"\n", {}, "job_retention", "duration");
    expect_error(dsn_line + "reports_dir = \"\"\n", {}, "reports_dir", "empty");
    expect_error(dsn_line + "log_level = \"verbose\"\n", {}, "log_level", "one of");
    expect_error(dsn_line + "max_body = \"1TB\"\n", {}, "max_body", "size");
    expect_error(dsn_line + "max_body = -1\n", {}, "max_body", ">= 0");
    expect_error(dsn_line + "report_share = 0\n", {}, "report_share", "greater than 0");
    expect_error(dsn_line + "report_share = 1.01\n", {}, "report_share", "at most 1");
    expect_error(dsn_line + "report_share = nan\n", {}, "report_share", "greater than 0");
}

// PostgreSQL's statement_timeout ends at 2^31-1 ms (about 24.8 days): a longer
// timeout would make every pooled connection fail at start-up.
BOOST_AUTO_TEST_CASE(durations_beyond_24_days_name_the_key) {
    TempConfig t;
    BOOST_TEST(t.load(dsn_line + "job_timeout = \"24d\"\n").job_timeout.count() ==
               24LL * 24 * 3600 * 1000);
    expect_error(dsn_line + "job_timeout = \"30d\"\n", {}, "job_timeout", "longer than 24d");
    expect_error(dsn_line + "default_timeout = \"577h\"\n", {}, "default_timeout",
                 "longer than 24d");
    expect_error(dsn_line + "job_retention = \"24.5d\"\n", {}, "job_retention", "24d");
    expect_error(dsn_line, {{"ASYNCPAGE_DEFAULT_TIMEOUT", "2147483648ms"}}, "default_timeout",
                 "(from ASYNCPAGE_DEFAULT_TIMEOUT)");
}

// max_rows: rows of one section in an HTML or JSON page, an integer >= 1.
BOOST_AUTO_TEST_CASE(max_rows_key) {
    TempConfig t;
    BOOST_TEST(t.load(dsn_line).max_rows == 10000);
    BOOST_TEST(t.load(dsn_line + "max_rows = 1\n").max_rows == 1);
    BOOST_TEST(t.load(dsn_line + "max_rows = 250000\n").max_rows == 250000);
    BOOST_TEST(t.load(dsn_line, {{"ASYNCPAGE_MAX_ROWS", "42"}}).max_rows == 42);
    expect_error(dsn_line + "max_rows = 0\n", {}, "max_rows", "must be an integer >= 1");
    expect_error(dsn_line + "max_rows = -5\n", {}, "max_rows", ">= 1");
    expect_error(dsn_line + "max_rows = 99999999999\n", {}, "max_rows", "at most");
    expect_error(dsn_line + "max_rows = \"many\"\n", {}, "max_rows", "integer");
    expect_error(dsn_line, {{"ASYNCPAGE_MAX_ROWS", "1e3"}}, "max_rows", "integer");
}

BOOST_AUTO_TEST_CASE(pool_mode_key) {
    using Mode = asyncpage::config::Config::PoolMode;
    TempConfig t;
    BOOST_TEST((t.load(dsn_line).pool_mode == Mode::Session));
    BOOST_TEST((t.load(dsn_line + "pool_mode = \"transaction\"\n").pool_mode == Mode::Transaction));
    BOOST_TEST((t.load(dsn_line + "pool_mode = \"session\"\n").pool_mode == Mode::Session));
    BOOST_TEST((t.load(dsn_line, {{"ASYNCPAGE_POOL_MODE", "transaction"}}).pool_mode ==
                Mode::Transaction));
    expect_error(dsn_line + "pool_mode = \"statement\"\n", {}, "pool_mode",
                 "must be \"session\" or \"transaction\", got \"statement\"");
    expect_error(dsn_line + "pool_mode = 1\n", {}, "pool_mode", "string");
}

BOOST_AUTO_TEST_CASE(share_keys) {
    TempConfig t;
    auto c = t.load(dsn_line);
    BOOST_TEST(c.share_connections);
    BOOST_TEST(c.share_fast == milliseconds(5));
    BOOST_TEST(c.share_stall == milliseconds(50));
    c = t.load(dsn_line +
               "share_connections = false\nshare_fast = \"2ms\"\nshare_stall = \"1s\"\n");
    BOOST_TEST(!c.share_connections);
    BOOST_TEST(c.share_fast == milliseconds(2));
    BOOST_TEST(c.share_stall == milliseconds(1000));
    BOOST_TEST(!t.load(dsn_line, {{"ASYNCPAGE_SHARE_CONNECTIONS", "false"}}).share_connections);
    expect_error(dsn_line + "share_fast = \"0ms\"\n", {}, "share_fast", "greater than zero");
    expect_error(dsn_line + "share_stall = \"0s\"\n", {}, "share_stall", "greater than zero");
    expect_error(dsn_line + "share_connections = \"yes\"\n", {}, "share_connections", "");
}

BOOST_AUTO_TEST_CASE(listen_forms) {
    TempConfig t;
    BOOST_TEST(t.load(dsn_line + "listen = \"10.1.2.3:65535\"\n").listen == "10.1.2.3:65535");
    BOOST_TEST(t.load(dsn_line + "listen = \"127.0.0.1:1\"\n").listen == "127.0.0.1:1");
    for (const char* bad :
         {"relative.sock", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", ":9000",
          "example.com:9000", "256.0.0.1:9000", "1.2.3:9000", "1.2.3.4.5:9000", "[::1]:9000",
          "127.0.0.1:-1", "1..2.3:80", ""}) {
        BOOST_TEST_INFO("listen = " << bad);
        expect_error(dsn_line + "listen = \"" + bad + "\"\n", {}, "listen", "");
    }
    expect_error(dsn_line + "listen = \"/" + std::string(120, 's') + "\"\n", {}, "listen",
                 "longer than 107");
}

BOOST_AUTO_TEST_CASE(bad_environment_values_name_key_and_variable) {
    expect_error(dsn_line, {{"ASYNCPAGE_POOL_SIZE", "lots"}}, "pool_size",
                 "expected an integer, got \"lots\" (from ASYNCPAGE_POOL_SIZE)");
    expect_error(dsn_line, {{"ASYNCPAGE_POOL_SIZE", "0"}}, "pool_size", ">= 1");
    expect_error(dsn_line, {{"ASYNCPAGE_POOL_SIZE", " 4"}}, "pool_size", "expected an integer");
    expect_error(dsn_line, {{"ASYNCPAGE_DEBUG", "yes"}}, "debug", "true or false");
    expect_error(dsn_line, {{"ASYNCPAGE_JOB_TIMEOUT", "forever"}}, "job_timeout", "duration");
    expect_error(dsn_line, {{"ASYNCPAGE_REPORT_SHARE", "2"}}, "report_share", "at most 1");
    expect_error(dsn_line, {{"ASYNCPAGE_REPORT_SHARE", "0.5x"}}, "report_share", "number");
    expect_error(dsn_line, {{"ASYNCPAGE_MAX_BODY", "big"}}, "max_body", "size");
    expect_error(dsn_line, {{"ASYNCPAGE_LISTEN", "nowhere"}}, "listen", "ASYNCPAGE_LISTEN");
}

BOOST_AUTO_TEST_CASE(toml_syntax_error_has_a_line) {
    expect_error(dsn_line + "pool_size = 4\nworkers = = 2\n", {}, "", ":3:");
    expect_error(dsn_line + "dsn = \"again\"\n", {}, "", ":2:");
}

BOOST_AUTO_TEST_CASE(unreadable_file) {
    try {
        load_config("/nonexistent/asyncpage.toml", {});
        BOOST_ERROR("no ConfigError");
    } catch (const ConfigError& e) {
        BOOST_TEST(e.key() == "");
        BOOST_TEST(std::string(e.what()).find("/nonexistent/asyncpage.toml") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(environment_reads_the_process) {
    ::setenv("ASYNCPAGE_TEST_UNIT_MARKER", "a=b", 1);
    Env env = environment();
    BOOST_TEST(env.at("ASYNCPAGE_TEST_UNIT_MARKER") == "a=b");
    ::unsetenv("ASYNCPAGE_TEST_UNIT_MARKER");
    BOOST_TEST(environment().count("ASYNCPAGE_TEST_UNIT_MARKER") == 0u);
}

BOOST_AUTO_TEST_CASE(config_error_what) {
    BOOST_TEST(std::string(ConfigError("pool_size", "must be an integer >= 1").what()) ==
               "config key 'pool_size': must be an integer >= 1");
    BOOST_TEST(std::string(ConfigError("", "file.toml:1:1: bad").what()) == "file.toml:1:1: bad");
}

BOOST_AUTO_TEST_SUITE_END()
