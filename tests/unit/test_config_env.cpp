// ASYNCPAGE_<KEY> overrides for every one of the 17 config keys: the file sets
// one value, the environment another, and the environment's wins, parsed as the
// key's type (durations, sizes, numbers, booleans, strings).
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "config/config.hpp"

using namespace asyncpage::config;
using std::chrono::milliseconds;

namespace {

struct EnvConfigDir {
    std::filesystem::path dir;
    EnvConfigDir() {
        std::random_device rd;
        dir = std::filesystem::temp_directory_path() /
              ("asyncpage-unit-config-env-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(dir);
    }
    ~EnvConfigDir() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    Config load(const std::string& toml, const std::map<std::string, std::string>& env) const {
        auto file = dir / "asyncpage.toml";
        std::ofstream(file, std::ios::binary) << toml;
        return load_config(file.string(), env);
    }
};

// Every key, each with a value other than its default and other than the
// environment's value below.
const char* const file_values =
    "listen = \"/tmp/from-file.sock\"\n"
    "workers = 3\n"
    "dsn = \"dbname=from_file\"\n"
    "jobs_dsn = \"dbname=jobs_from_file\"\n"
    "pool_size = 8\n"
    "max_pending = 500\n"
    "default_timeout = \"7s\"\n"
    "job_timeout = \"2h\"\n"
    "job_slots = 2\n"
    "job_retention = \"48h\"\n"
    "reports_dir = \"/srv/file-reports\"\n"
    "log_level = \"debug\"\n"
    "access_log = \"/tmp/file-access.log\"\n"
    "error_log = \"/tmp/file-error.log\"\n"
    "max_body = \"2MB\"\n"
    "report_share = 0.25\n"
    "debug = true\n";

const std::map<std::string, std::string> env_values = {
    {"ASYNCPAGE_LISTEN", "127.0.0.1:9107"},
    {"ASYNCPAGE_WORKERS", "5"},
    {"ASYNCPAGE_DSN", "dbname=from_env"},
    {"ASYNCPAGE_JOBS_DSN", "dbname=jobs_from_env"},
    {"ASYNCPAGE_POOL_SIZE", "33"},
    {"ASYNCPAGE_MAX_PENDING", "77"},
    {"ASYNCPAGE_DEFAULT_TIMEOUT", "250ms"},
    {"ASYNCPAGE_JOB_TIMEOUT", "90s"},
    {"ASYNCPAGE_JOB_SLOTS", "9"},
    {"ASYNCPAGE_JOB_RETENTION", "3h"},
    {"ASYNCPAGE_REPORTS_DIR", "/srv/env-reports"},
    {"ASYNCPAGE_LOG_LEVEL", "warn"},
    {"ASYNCPAGE_ACCESS_LOG", "off"},
    {"ASYNCPAGE_ERROR_LOG", "/tmp/env-error.log"},
    {"ASYNCPAGE_MAX_BODY", "64KB"},
    {"ASYNCPAGE_REPORT_SHARE", "0.9"},
    {"ASYNCPAGE_DEBUG", "false"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(config_env)

BOOST_AUTO_TEST_CASE(the_list_covers_all_17_keys) {
    BOOST_TEST(env_values.size() == 17u);
}

BOOST_AUTO_TEST_CASE(file_values_load_as_written) {
    EnvConfigDir d;
    Config c = d.load(file_values, {});
    BOOST_TEST(c.listen == "/tmp/from-file.sock");
    BOOST_TEST(c.workers == 3);
    BOOST_TEST(c.dsn == "dbname=from_file");
    BOOST_TEST(c.jobs_dsn == "dbname=jobs_from_file");
    BOOST_TEST(c.pool_size == 8);
    BOOST_TEST(c.max_pending == 500);
    BOOST_TEST(c.default_timeout.count() == 7000);
    BOOST_TEST(c.job_timeout.count() == 2 * 3600 * 1000);
    BOOST_TEST(c.job_slots == 2);
    BOOST_TEST(c.job_retention.count() == 48LL * 3600 * 1000);
    BOOST_TEST(c.reports_dir == "/srv/file-reports");
    BOOST_TEST(c.log_level == "debug");
    BOOST_TEST(c.access_log == "/tmp/file-access.log");
    BOOST_TEST(c.error_log == "/tmp/file-error.log");
    BOOST_TEST(c.max_body == 2u * 1024 * 1024);
    BOOST_TEST(c.report_share == 0.25);
    BOOST_TEST(c.debug == true);
}

BOOST_AUTO_TEST_CASE(every_key_is_overridden_by_its_variable) {
    EnvConfigDir d;
    Config c = d.load(file_values, env_values);
    BOOST_TEST(c.listen == "127.0.0.1:9107");
    BOOST_TEST(c.workers == 5);
    BOOST_TEST(c.dsn == "dbname=from_env");
    BOOST_TEST(c.jobs_dsn == "dbname=jobs_from_env");
    BOOST_TEST(c.pool_size == 33);
    BOOST_TEST(c.max_pending == 77);
    BOOST_TEST(c.default_timeout.count() == 250);
    BOOST_TEST(c.job_timeout.count() == 90 * 1000);
    BOOST_TEST(c.job_slots == 9);
    BOOST_TEST(c.job_retention.count() == 3LL * 3600 * 1000);
    BOOST_TEST(c.reports_dir == "/srv/env-reports");
    BOOST_TEST(c.log_level == "warn");
    BOOST_TEST(c.access_log == "off");
    BOOST_TEST(c.error_log == "/tmp/env-error.log");
    BOOST_TEST(c.max_body == 64u * 1024);
    BOOST_TEST(c.report_share == 0.9);
    BOOST_TEST(c.debug == false);
}

// One variable at a time: each override touches its own key and no other.
BOOST_AUTO_TEST_CASE(each_variable_changes_only_its_key) {
    EnvConfigDir d;
    Config base = d.load(file_values, {});
    for (const auto& [name, value] : env_values) {
        BOOST_TEST_CONTEXT(name << "=" << value) {
            Config c = d.load(file_values, {{name, value}});
            int changed =
                (c.listen != base.listen) + (c.workers != base.workers) + (c.dsn != base.dsn) +
                (c.jobs_dsn != base.jobs_dsn) + (c.pool_size != base.pool_size) +
                (c.max_pending != base.max_pending) + (c.default_timeout != base.default_timeout) +
                (c.job_timeout != base.job_timeout) + (c.job_slots != base.job_slots) +
                (c.job_retention != base.job_retention) + (c.reports_dir != base.reports_dir) +
                (c.log_level != base.log_level) + (c.access_log != base.access_log) +
                (c.error_log != base.error_log) + (c.max_body != base.max_body) +
                (c.report_share != base.report_share) + (c.debug != base.debug);
            BOOST_TEST(changed == 1);
        }
    }
}

// A bad value in any variable is refused, naming the variable.
BOOST_AUTO_TEST_CASE(bad_value_in_each_variable_names_it) {
    EnvConfigDir d;
    const std::map<std::string, std::string> bad = {
        {"ASYNCPAGE_WORKERS", "many"},
        {"ASYNCPAGE_POOL_SIZE", "0"},
        {"ASYNCPAGE_MAX_PENDING", "-1"},
        {"ASYNCPAGE_DEFAULT_TIMEOUT", "soon"},
        {"ASYNCPAGE_JOB_TIMEOUT", "1 fortnight"},
        {"ASYNCPAGE_JOB_SLOTS", "x"},
        {"ASYNCPAGE_JOB_RETENTION", "-3h"},
        {"ASYNCPAGE_LOG_LEVEL", "loud"},
        {"ASYNCPAGE_MAX_BODY", "big"},
        {"ASYNCPAGE_REPORT_SHARE", "2"},
        {"ASYNCPAGE_DEBUG", "maybe"},
    };
    for (const auto& [name, value] : bad) {
        BOOST_TEST_CONTEXT(name << "=" << value) {
            try {
                d.load(file_values, {{name, value}});
                BOOST_ERROR("accepted");
            } catch (const ConfigError& e) {
                BOOST_TEST(std::string(e.what()).find(name) != std::string::npos, e.what());
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
