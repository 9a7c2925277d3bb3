// `asyncpage check` on each kind of problem README promises to report: a report
// that does not parse (FILE:LINE), SQL that PostgreSQL refuses (FILE:LINE and
// SQLSTATE), a dsn that cannot be reached, and a config error naming the key.
// Every case also proves that the good report next to the bad one is not blamed.
#include <boost/test/unit_test.hpp>

#include "support/cli.hpp"
#include "support/env.hpp"
#include "support/pg.hpp"
#include "support/server.hpp"
#include "support/text.hpp"

using namespace support;

namespace {

const char* const good_report =
    "-- title: Fine\n"
    "\n"
    "-- section: one\n"
    "SELECT 1 AS own_check_fine;\n";

// A config file and a reports dir of the test's own.
struct CheckSite {
    TempDir dir{"asyncpage-own-check"};
    std::filesystem::path reports = dir / "reports";
    std::filesystem::path config = dir / "asyncpage.toml";

    CheckSite() {
        std::filesystem::create_directories(reports);
        write_file(reports / "fine.sql", good_report);
    }
    void write_config(const std::string& dsn, const std::string& extra = "") const {
        write_file(config, "listen = " + toml_string((dir / "s.sock").string()) +
                               "\ndsn = " + toml_string(dsn) + "\nreports_dir = " +
                               toml_string(reports.string()) + "\nworkers = 1\n" + extra);
    }
    CliResult check() const {
        CliResult r = run_cli({server_binary(), "check", "--config", config.string()}, {}, 60s);
        BOOST_TEST_MESSAGE("asyncpage check exit " << r.exit_code << ":\n" << r.output);
        BOOST_TEST_REQUIRE(!r.timed_out, "check still running after 60 s");
        return r;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(check_problems)

BOOST_AUTO_TEST_CASE(parse_error_is_reported_with_file_and_line) {
    prepare_test_schema();
    CheckSite site;
    // Line 3 declares a parameter of a type that does not exist.
    write_file(site.reports / "broken.sql",
               "-- title: Broken\n"
               "-- param: when date\n"
               "-- param: x nosuchtype\n"
               "\n"
               "-- section: one\n"
               "SELECT :x AS x;\n");
    site.write_config(test_dsn());
    CliResult r = site.check();
    BOOST_TEST(r.exit_code == 1);
    std::string where = (site.reports / "broken.sql").string() + ":3: ";
    BOOST_TEST(contains(r.output, where), "no line starting with " << where);
    BOOST_TEST(contains(r.output, "nosuchtype"), "the message does not name the bad type");
    BOOST_TEST(!contains(r.output, "fine.sql:"), "the good report was blamed");
}

// A timeout past PostgreSQL's statement_timeout range (2^31-1 ms, about 24.8
// days) passed check before and made every pooled connection fail at start-up.
BOOST_AUTO_TEST_CASE(timeout_beyond_24_days_is_reported_with_file_and_line) {
    prepare_test_schema();
    CheckSite site;
    write_file(site.reports / "forever.sql",
               "-- title: Forever\n"
               "-- timeout: 30d\n"
               "\n"
               "-- section: one\n"
               "SELECT 1 AS own_check_forever;\n");
    site.write_config(test_dsn());
    CliResult r = site.check();
    BOOST_TEST(r.exit_code == 1);
    std::string where = (site.reports / "forever.sql").string() + ":2: ";
    BOOST_TEST(contains(r.output, where), "no line starting with " << where);
    BOOST_TEST(contains(r.output, "longer than 24d"), "the message does not give the limit");
    BOOST_TEST(!contains(r.output, "fine.sql:"), "the good report was blamed");
}

BOOST_AUTO_TEST_CASE(sql_error_is_reported_with_file_line_and_sqlstate) {
    prepare_test_schema();
    CheckSite site;
    // The failing section starts on line 7; its table does not exist (42P01), and
    // the first section (line 4) is fine.
    write_file(site.reports / "badsql.sql",
               "-- title: Bad SQL\n"
               "-- param: n int default 1\n"
               "\n"
               "-- section: ok\n"
               "SELECT :n AS n;\n"
               "\n"
               "-- section: missing\n"
               "SELECT * FROM own_check_no_such_table WHERE id = :n;\n");
    site.write_config(test_dsn());
    CliResult r = site.check();
    BOOST_TEST(r.exit_code == 1);
    std::string file = (site.reports / "badsql.sql").string();
    BOOST_TEST(contains(r.output, file + ":7: "), "no line starting with " << file << ":7:");
    BOOST_TEST(contains(r.output, "SQLSTATE 42P01"), "the SQLSTATE is missing");
    BOOST_TEST(contains(r.output, "own_check_no_such_table"), "PostgreSQL's message is missing");
    BOOST_TEST(!contains(r.output, file + ":4: "), "the good section was blamed");
    BOOST_TEST(count_of(r.output, "SQLSTATE") == 1u, "more than one SQL problem reported");
}

BOOST_AUTO_TEST_CASE(unreachable_dsn_is_an_error) {
    CheckSite site;
    // A socket directory where no server listens: the connection fails at once.
    site.write_config("host=" + (site.dir / "no-server-here").string() +
                      " port=5999 dbname=nothing user=nobody connect_timeout=5");
    CliResult r = site.check();
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.output, "cannot connect"), "the failure does not say it cannot connect");
    BOOST_TEST(contains(r.output, "no-server-here"), "libpq's reason (the socket) is missing");
}

// README: check exits 1 on any problem, a config that does not load included
// (it exited 2 before; serve and migrate still do).
BOOST_AUTO_TEST_CASE(config_error_names_the_key) {
    CheckSite site;
    site.write_config(test_dsn(), "pool_size = 0\n");
    CliResult r = site.check();
    BOOST_TEST(r.exit_code != 0);
    BOOST_TEST(contains(r.output, "pool_size"), "the message does not name the key");
    BOOST_TEST(!contains(r.output, "reports checked"), "reports were checked with a bad config");
    BOOST_TEST(r.exit_code == 1, "exit code " << r.exit_code << " (the contract says 1)");
}

BOOST_AUTO_TEST_CASE(unknown_config_key_is_an_error) {
    CheckSite site;
    site.write_config(test_dsn(), "pool_sise = 4\n");
    CliResult r = site.check();
    BOOST_TEST(r.exit_code != 0);
    BOOST_TEST(contains(r.output, "pool_sise"), "the message does not name the key");
    BOOST_TEST(contains(r.output, "unknown key"));
}

// README, "Report files": a header comment whose word is no key is a comment
// ("-- Author: bob"); one within two letters of a key is a warning with
// FILE:LINE, and neither is a problem (exit 0). A timeout beyond what the shipped
// nginx site and unit allow is a warning too (README, "Sizing and timeouts").
BOOST_AUTO_TEST_CASE(header_comments_near_misses_and_long_timeouts_warn_only) {
    prepare_test_schema();
    CheckSite site;
    write_file(site.reports / "notes.sql",
               "-- title: Notes\n"
               "-- Author: bob\n"
               "-- tiemout: 3s\n"
               "\n"
               "-- section: one\n"
               "SELECT 1 AS own_check_notes;\n");
    write_file(site.reports / "long.sql",
               "-- title: Long\n"
               "-- timeout: 100s\n"
               "-- section: one\n"
               "SELECT 1 AS own_check_long;\n");
    write_file(site.reports / "longer.sql",
               "-- title: Longer\n"
               "-- timeout: 150s\n"
               "-- section: one\n"
               "SELECT 1 AS own_check_longer;\n");
    site.write_config(test_dsn(), "pool_size = 2\njob_slots = 1\n");
    CliResult r = site.check();
    BOOST_TEST(r.exit_code == 0, "warnings made check fail");
    std::string notes = (site.reports / "notes.sql").string();
    BOOST_TEST(contains(r.output, notes + ":3: warning: 'tiemout' is not a header key"),
               "no warning at " << notes << ":3");
    BOOST_TEST(contains(r.output, "did you mean 'timeout'?"));
    BOOST_TEST(!icontains(r.output, "author"), "the plain comment was reported");
    std::string long_file = (site.reports / "long.sql").string();
    BOOST_TEST(contains(r.output, long_file +
                                      ": warning: timeout 100s plus the drain grace (5s) "
                                      "is not below the shipped unit's TimeoutStopSec (90s)"));
    std::string longer_file = (site.reports / "longer.sql").string();
    BOOST_TEST(contains(r.output, longer_file + ": warning: timeout 150s is not below the shipped "
                                                "nginx site's fastcgi_read_timeout (120s)"));
    BOOST_TEST(contains(r.output, "4 reports checked, 0 problems, 3 warnings"));
}

// README, "Sizing and timeouts": per worker pool_size + 4 + job_slots x 4 + 1
// connections, twice that during a reload, against max_connections less the
// superuser reserve.
BOOST_AUTO_TEST_CASE(max_connections_too_small_for_the_config_warns) {
    prepare_test_schema();
    CheckSite site;
    site.write_config(test_dsn(), "pool_size = 2\njob_slots = 1\n");
    CliResult fits = site.check();
    BOOST_TEST(fits.exit_code == 0);
    BOOST_TEST(contains(fits.output,
                        "connections: 1 workers x (2 pool_size + 4 job bookkeeping "
                        "+ 4 job runs (job_slots x 4) + 4 job results + 1 LISTEN) = 15, 30 during "
                        "a reload"));
    BOOST_TEST(!contains(fits.output, "warning: max_connections"));

    // 20,000 connections during a reload: more than any test cluster allows.
    site.write_config(test_dsn(), "pool_size = 1000\njob_slots = 0\n");
    std::string text = read_file(site.config);
    text.replace(text.find("workers = 1"), 11, "workers = 10");
    write_file(site.config, text);
    CliResult over = site.check();
    BOOST_TEST(over.exit_code == 0, "a sizing warning made check fail");
    BOOST_TEST(contains(over.output, "= 10100, 20200 during a reload"));
    BOOST_TEST(contains(over.output,
                        "warning: max_connections is too small for this config: "
                        "20200 connections needed during a reload"));
}

// `--config` defaults to /etc/asyncpage/asyncpage.toml (or ASYNCPAGE_CONFIG), and
// --help lists the commands, the ASYNCPAGE_* overrides and that default.
BOOST_AUTO_TEST_CASE(help_and_the_default_config_path) {
    CliResult help = run_cli({server_binary(), "--help"});
    BOOST_TEST(help.exit_code == 0);
    for (const char* part : {"serve", "check", "migrate", "ASYNCPAGE_<KEY>", "ASYNCPAGE_CONFIG",
                             "/etc/asyncpage/asyncpage.toml", "asyncpage(8)"}) {
        BOOST_TEST(contains(help.output, part), "--help does not mention " << part);
    }
    CheckSite site;
    site.write_config(test_dsn(), "pool_size = 2\njob_slots = 1\n");
    CliResult by_env =
        run_cli({server_binary(), "check"}, {{"ASYNCPAGE_CONFIG", site.config.string()}});
    BOOST_TEST(by_env.exit_code == 0, by_env.output);
    BOOST_TEST(contains(by_env.output, "1 reports checked"));
    if (!std::filesystem::exists("/etc/asyncpage/asyncpage.toml")) {
        CliResult none = run_cli({server_binary(), "check"});
        BOOST_TEST(none.exit_code == 1);
        BOOST_TEST(contains(none.output, "/etc/asyncpage/asyncpage.toml"), none.output);
    }
}

BOOST_AUTO_TEST_SUITE_END()
