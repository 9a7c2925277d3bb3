// The asyncpage binary: command-line parsing and dispatch to the commands.
#include <CLI/CLI.hpp>
#include <iostream>

#include "check.hpp"
#include "config/config.hpp"
#include "migrate.hpp"
#include "supervisor.hpp"

namespace {
// Where scripts/install puts the config (README, "Deployment"); ASYNCPAGE_CONFIG
// or --config point elsewhere.
constexpr const char* kDefaultConfig = "/etc/asyncpage/asyncpage.toml";

// The end of `asyncpage --help`: what a sysadmin looks for before the man page.
constexpr const char* kHelpFooter =
    "Config: one TOML file, by default /etc/asyncpage/asyncpage.toml (--config FILE or\n"
    "ASYNCPAGE_CONFIG=FILE to use another). Every key can be overridden by an\n"
    "environment variable ASYNCPAGE_<KEY> (upper case), e.g. ASYNCPAGE_POOL_SIZE=32,\n"
    "ASYNCPAGE_DSN, ASYNCPAGE_WORKERS, ASYNCPAGE_LOG_LEVEL.\n"
    "\n"
    "Exit status: 0 success; check: 1 on any problem (config, report or SQL error);\n"
    "serve and migrate: 1 on failure, 2 when the config cannot be loaded.\n"
    "Signals to serve: SIGHUP reload, SIGTERM drain and stop, SIGUSR1 reopen logs.\n"
    "\n"
    "See asyncpage(8) and asyncpage.toml(5).";
}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"asyncpage: SQL-backed report pages over FastCGI, behind nginx"};
    app.set_version_flag("--version", std::string("asyncpage ") + ASYNCPAGE_VERSION);
    app.require_subcommand(1);
    app.footer(kHelpFooter);
    std::string config_path = kDefaultConfig;
    auto add_config = [&](CLI::App* command) {
        command->add_option("--config", config_path, "TOML config file")
            ->envname("ASYNCPAGE_CONFIG")
            ->capture_default_str();
    };
    auto* serve = app.add_subcommand(
        "serve", "run the supervisor and its worker processes (foreground; for systemd)");
    add_config(serve);
    auto* check = app.add_subcommand(
        "check", "validate the config and every report file (PostgreSQL prepares each section)");
    add_config(check);
    auto* migrate = app.add_subcommand(
        "migrate", "create or upgrade the asyncpage schema (jobs) in jobs_dsn; idempotent");
    add_config(migrate);
    CLI11_PARSE(app, argc, argv);

    asyncpage::config::Config config;
    try {
        config = asyncpage::config::load_config(config_path, asyncpage::config::environment());
    } catch (const std::exception& e) {
        std::cerr << "asyncpage: " << config_path << ": " << e.what() << "\n";
        // check promises exit 1 on any problem (README, "Commands"); a config that
        // does not load is one. serve and migrate cannot start: 2.
        return check->parsed() ? 1 : 2;
    }
    if (serve->parsed()) return asyncpage::run_supervisor(config, config_path);
    if (migrate->parsed()) return asyncpage::run_migrate(config);
    return asyncpage::run_check(config);
}
