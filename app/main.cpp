// The asyncpage binary: command-line parsing and dispatch to the commands.
#include <CLI/CLI.hpp>
#include <iostream>

#include "check.hpp"
#include "config/config.hpp"
#include "migrate.hpp"
#include "supervisor.hpp"

int main(int argc, char** argv) {
    CLI::App app{"asyncpage: SQL-backed report pages over FastCGI, behind nginx"};
    app.set_version_flag("--version", std::string("asyncpage ") + ASYNCPAGE_VERSION);
    app.require_subcommand(1);
    std::string config_path;
    auto* serve = app.add_subcommand("serve", "run the supervisor and its worker processes");
    serve->add_option("--config", config_path, "TOML config file")->required();
    auto* check = app.add_subcommand("check", "validate the config and every report file");
    check->add_option("--config", config_path, "TOML config file")->required();
    auto* migrate =
        app.add_subcommand("migrate", "create or upgrade the asyncpage schema (jobs) in jobs_dsn");
    migrate->add_option("--config", config_path, "TOML config file")->required();
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
