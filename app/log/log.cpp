// Logger construction for the supervisor and each worker.
#include "log/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace asyncpage::log {

namespace {
Options g_options;
std::shared_ptr<spdlog::logger> g_access;

std::shared_ptr<spdlog::logger> make(const std::string& name, const std::string& file) {
    spdlog::sink_ptr sink;
    if (file.empty()) {
        sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
        sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, false);
    }
    return std::make_shared<spdlog::logger>(name, sink);
}
}  // namespace

void setup(const Options& options) {
    g_options = options;
    spdlog::drop_all();
    auto error = make("asyncpage", options.error_log);
    error->set_level(spdlog::level::from_str(options.level));
    error->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + options.process + "] %v");
    error->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(error);
    if (options.access_log == "off") {  // as nginx's `access_log off`
        g_access = std::make_shared<spdlog::logger>(
            "access", std::make_shared<spdlog::sinks::null_sink_mt>());
        g_access->set_level(spdlog::level::off);
        return;
    }
    g_access = make("access", options.access_log);
    g_access->set_level(spdlog::level::info);
    g_access->set_pattern("%Y-%m-%dT%H:%M:%S.%e access [" + options.process + "] %v");
    // Access lines are flushed at once: an operator tailing the log sees each page.
    g_access->flush_on(spdlog::level::info);
}

void reopen() {
    setup(g_options);
}

std::shared_ptr<spdlog::logger> access() {
    if (!g_access) g_access = spdlog::default_logger();
    return g_access;
}

}  // namespace asyncpage::log
