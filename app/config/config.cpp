// The config file (README, "Configuration"): flat TOML keys read with toml++, then
// ASYNCPAGE_<KEY> environment overrides parsed from text as the key's type.
// Every key has one setter that validates; any problem is a ConfigError naming
// the key, because a server that starts on a guessed value is worse than none.
#include "config/config.hpp"
#include "core/text.hpp"

#include <unistd.h>  // environ

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <thread>

#include <toml++/toml.h>

#include "core/units.hpp"

namespace asyncpage::config {
namespace {
using text::lower;
using text::upper;

constexpr std::string_view env_prefix = "ASYNCPAGE_";

const char* type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::table:
            return "a table";
        default:
            return "nothing";
    }
}

// Where one value comes from: a TOML node, or the text of an environment
// variable. Converters read either and throw ConfigError naming the key.
struct Source {
    std::string key;
    const toml::node* node = nullptr;  // from the file
    std::string text;                  // from the environment, when node is null
    std::string env_name;

    [[noreturn]] void fail(const std::string& message) const {
        throw ConfigError(key, env_name.empty() ? message : message + " (from " + env_name + ")");
    }
    [[noreturn]] void wrong_type(const char* expected) const {
        if (node) fail(std::string("expected ") + expected + ", got " + type_name(*node));
        fail(std::string("expected ") + expected + ", got \"" + text + "\"");
    }

    std::string as_string() const {
        if (!node) return text;
        if (!node->is_string()) wrong_type("a string");
        return node->as_string()->get();
    }

    long long as_integer() const {
        if (node) {
            if (!node->is_integer()) wrong_type("an integer");
            return node->as_integer()->get();
        }
        long long v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
            wrong_type("an integer");
        }
        return v;
    }

    int as_int_at_least(int min) const {
        long long v = as_integer();
        if (v < min || v > std::numeric_limits<int>::max()) {
            fail("must be an integer >= " + std::to_string(min) + " (and at most " +
                 std::to_string(std::numeric_limits<int>::max()) + "), got " + std::to_string(v));
        }
        return static_cast<int>(v);
    }

    bool as_bool() const {
        if (node) {
            if (!node->is_boolean()) wrong_type("true or false");
            return node->as_boolean()->get();
        }
        auto v = text::parse_bool(text, text::BoolSpelling::WordsOrDigits);
        if (!v) wrong_type("true or false");
        return *v;
    }

    // Strings only ("5s"): a bare TOML number would leave its unit to guessing.
    std::chrono::milliseconds as_duration() const {
        if (node && !node->is_string()) wrong_type("a duration string such as \"5s\"");
        std::string s = as_string();
        auto d = parse_duration(s);
        if (!d) fail("expected a duration such as \"250ms\", \"5s\" or \"1h\", got \"" + s + "\"");
        if (d->count() <= 0) fail("must be a duration greater than zero");
        if (*d > kMaxDuration) {
            fail("\"" + s + "\" is longer than " + std::string(kMaxDurationText) +
                 ", the longest duration PostgreSQL accepts as a timeout");
        }
        return *d;
    }

    std::size_t as_size() const {
        if (node && node->is_integer()) {
            long long v = node->as_integer()->get();
            if (v < 0) fail("must be a size >= 0, got " + std::to_string(v));
            return static_cast<std::size_t>(v);
        }
        if (node && !node->is_string()) wrong_type("a size such as \"1MB\" or a number of bytes");
        std::string s = as_string();
        auto size = parse_size(s);
        if (!size)
            fail("expected a size such as \"512KB\", \"1MB\" or a number of bytes, got \"" + s +
                 "\"");
        return *size;
    }

    double as_double() const {
        if (node) {
            if (node->is_floating_point()) return node->as_floating_point()->get();
            if (node->is_integer()) return static_cast<double>(node->as_integer()->get());
            wrong_type("a number");
        }
        double v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
            wrong_type("a number");
        }
        return v;
    }
};

// 1-4 dotted decimal octets 0..255, exactly four of them.
bool is_ipv4(std::string_view s) {
    int parts = 0;
    while (true) {
        std::size_t dot = s.find('.');
        std::string_view part = s.substr(0, dot);
        if (part.empty() || part.size() > 3) return false;
        int v = 0;
        for (char c : part) {
            if (!text::is_digit(c)) return false;
            v = v * 10 + (c - '0');
        }
        if (v > 255) return false;
        ++parts;
        if (dot == std::string_view::npos) break;
        s.remove_prefix(dot + 1);
    }
    return parts == 4;
}

// An absolute unix socket path, or IPV4:PORT. "localhost" is accepted as a host
// and rewritten to 127.0.0.1 here, so that the listener only ever sees literals
// and never resolves names (resolution could block or yield IPv6).
std::string check_listen(const Source& src) {
    std::string v = src.as_string();
    if (!v.empty() && v[0] == '/') {
        // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
        if (v.size() > 107) src.fail("socket path is longer than 107 bytes");
        return v;
    }
    std::size_t colon = v.rfind(':');
    if (colon == std::string::npos) {
        src.fail("must be an absolute unix socket path or HOST:PORT, got \"" + v + "\"");
    }
    std::string host = v.substr(0, colon);
    std::string port_text = v.substr(colon + 1);
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port < 1 || port > 65535) {
        src.fail("port must be 1-65535, got \"" + port_text + "\"");
    }
    if (host == "localhost") host = "127.0.0.1";
    if (!is_ipv4(host)) {
        src.fail("host must be an IPv4 address such as 127.0.0.1 (or localhost), got \"" + host +
                 "\"");
    }
    return host + ":" + std::to_string(port);
}

using Setter = std::function<void(Config&, const Source&)>;

const std::map<std::string, Setter>& setters() {
    static const std::map<std::string, Setter> table = {
        {"listen", [](Config& c, const Source& s) { c.listen = check_listen(s); }},
        {"workers", [](Config& c, const Source& s) { c.workers = s.as_int_at_least(1); }},
        {"dsn", [](Config& c, const Source& s) { c.dsn = s.as_string(); }},
        {"jobs_dsn", [](Config& c, const Source& s) { c.jobs_dsn = s.as_string(); }},
        {"pool_size", [](Config& c, const Source& s) { c.pool_size = s.as_int_at_least(1); }},
        {"max_pending", [](Config& c, const Source& s) { c.max_pending = s.as_int_at_least(1); }},
        {"max_rows", [](Config& c, const Source& s) { c.max_rows = s.as_int_at_least(1); }},
        {"default_timeout",
         [](Config& c, const Source& s) { c.default_timeout = s.as_duration(); }},
        {"job_timeout", [](Config& c, const Source& s) { c.job_timeout = s.as_duration(); }},
        {"job_slots", [](Config& c, const Source& s) { c.job_slots = s.as_int_at_least(0); }},
        {"job_retention", [](Config& c, const Source& s) { c.job_retention = s.as_duration(); }},
        {"job_max_queued",
         [](Config& c, const Source& s) { c.job_max_queued = s.as_int_at_least(1); }},
        {"job_max_result", [](Config& c, const Source& s) { c.job_max_result = s.as_size(); }},
        {"job_retries",
         [](Config& c, const Source& s) {
             c.job_retries = s.as_int_at_least(0);
             if (c.job_retries > 100) s.fail("must be at most 100");
         }},
        {"job_lease",
         [](Config& c, const Source& s) {
             c.job_lease = s.as_duration();
             // Renewed every lease / 4: shorter would spend the jobs database on heartbeats.
             if (c.job_lease < std::chrono::milliseconds(1000)) s.fail("must be at least 1s");
         }},
        {"reports_dir",
         [](Config& c, const Source& s) {
             c.reports_dir = s.as_string();
             if (c.reports_dir.empty()) s.fail("must not be empty");
         }},
        {"log_level",
         [](Config& c, const Source& s) {
             std::string v = s.as_string();
             static const char* levels[] = {"trace", "debug",    "info", "warn",
                                            "error", "critical", "off"};
             if (std::find(std::begin(levels), std::end(levels), v) == std::end(levels)) {
                 s.fail("must be one of trace, debug, info, warn, error, critical, off; got \"" +
                        v + "\"");
             }
             c.log_level = v;
         }},
        {"access_log", [](Config& c, const Source& s) { c.access_log = s.as_string(); }},
        {"error_log", [](Config& c, const Source& s) { c.error_log = s.as_string(); }},
        {"max_body", [](Config& c, const Source& s) { c.max_body = s.as_size(); }},
        {"report_share",
         [](Config& c, const Source& s) {
             double v = s.as_double();
             if (!(v > 0.0 && v <= 1.0)) {  // also rejects NaN
                 s.fail("must be a number greater than 0 and at most 1, got " + std::to_string(v));
             }
             c.report_share = v;
         }},
        {"debug", [](Config& c, const Source& s) { c.debug = s.as_bool(); }},
        {"share_connections",
         [](Config& c, const Source& s) { c.share_connections = s.as_bool(); }},
        {"share_fast", [](Config& c, const Source& s) { c.share_fast = s.as_duration(); }},
        {"share_stall", [](Config& c, const Source& s) { c.share_stall = s.as_duration(); }},
        {"send_timeout", [](Config& c, const Source& s) { c.send_timeout = s.as_duration(); }},
        {"pool_mode",
         [](Config& c, const Source& s) {
             std::string v = s.as_string();
             if (v == "session") {
                 c.pool_mode = Config::PoolMode::Session;
             } else if (v == "transaction") {
                 c.pool_mode = Config::PoolMode::Transaction;
             } else {
                 s.fail("must be \"session\" or \"transaction\", got \"" + v + "\"");
             }
         }},
    };
    return table;
}

// Variables that belong to scripts and tests, not to the config.
bool is_ignored_env(std::string_view name) {
    return name == "ASYNCPAGE_CONFIG" || name.starts_with("ASYNCPAGE_TEST_") ||
           name.starts_with("ASYNCPAGE_BIN");
}

}  // namespace

// No config key starts with ASYNCPAGE_, so such a key can only name an unknown
// environment variable; the message then says so instead of "config key".
ConfigError::ConfigError(std::string key, const std::string& message)
    : std::runtime_error(key.empty() ? message
                         : key.starts_with(env_prefix)
                             ? "environment variable " + key + ": " + message
                             : "config key '" + key + "': " + message),
      key_(std::move(key)) {}

Config load_config(const std::string& path, const std::map<std::string, std::string>& env) {
    namespace fs = std::filesystem;
    Config cfg;
    cfg.workers = std::max(1u, std::thread::hardware_concurrency());

    std::error_code ec;
    if (fs::is_directory(path, ec))
        throw ConfigError("", "config file " + path + " is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError("", "cannot read config file " + path + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();

    toml::table table;
    try {
        table = toml::parse(text.str(), path);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        throw ConfigError("", path + ":" + std::to_string(where.line) + ":" +
                                  std::to_string(where.column) + ": " +
                                  std::string(e.description()));
    }

    const auto& table_setters = setters();
    for (auto&& [k, node] : table) {
        std::string key(k.str());
        if (node.is_table()) {
            throw ConfigError(key, "is a table; the config has flat top-level keys only");
        }
        auto setter = table_setters.find(key);
        if (setter == table_setters.end()) throw ConfigError(key, "unknown key");
        setter->second(cfg, Source{key, &node, {}, {}});
    }

    // Environment overrides, applied after the file so that they win.
    for (const auto& [name, value] : env) {
        if (!name.starts_with(env_prefix) || is_ignored_env(name)) continue;
        std::string key = lower(name.substr(env_prefix.size()));
        auto setter = table_setters.find(key);
        if (setter == table_setters.end() || upper(key) != name.substr(env_prefix.size())) {
            throw ConfigError(name, "unknown variable (no config key '" + key + "')");
        }
        setter->second(cfg, Source{key, nullptr, value, name});
    }

    if (cfg.dsn.empty()) {
        throw ConfigError("dsn", "is required (a libpq connection string such as \"dbname=app\")");
    }
    if (cfg.jobs_dsn.empty()) cfg.jobs_dsn = cfg.dsn;
    // Relative to the config file, whatever the working directory of the server
    // (also for ASYNCPAGE_REPORTS_DIR, so that one rule holds).
    fs::path reports(cfg.reports_dir);
    if (reports.is_relative()) {
        fs::path base = fs::absolute(fs::path(path)).parent_path();
        cfg.reports_dir = (base / reports).lexically_normal().string();
    }
    return cfg;
}

std::map<std::string, std::string> environment() {
    std::map<std::string, std::string> out;
    for (char** e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        std::size_t eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        out.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return out;
}

}  // namespace asyncpage::config
