// Stack: starts the schema the test reports need, then asyncpage, then nginx on
// its socket; requests go through nginx like a browser's would.
#include "support/stack.hpp"

#include <map>
#include <mutex>

#include "support/pg.hpp"

namespace support {

Stack::Stack(ServerOptions options)
    : server_((prepare_test_schema(), std::move(options))), nginx_(server_.socket_path()) {}

Response Stack::get(const std::string& path, std::vector<std::string> headers,
                    long timeout_ms) const {
    return support::get(url(path), std::move(headers), timeout_ms);
}

Request Stack::request(const std::string& path, long timeout_ms) const {
    Request req;
    req.url = url(path);
    req.timeout_ms = timeout_ms;
    return req;
}

Response Stack::send(Request req) const {
    req.url = url(req.url);
    return support::request(req);
}

Metrics Stack::metrics() const {
    Response r = get("/metrics", {}, 10000);
    if (r.status != 200)
        throw std::runtime_error("/metrics answered " + r.summary() + ": " + r.body);
    return Metrics::parse(r.body);
}

nlohmann::json parse_json(const Response& r) {
    try {
        return nlohmann::json::parse(r.body);
    } catch (const std::exception& e) {
        throw std::runtime_error("not JSON (" + r.summary() + "): " + e.what() + "\n" +
                                 r.body.substr(0, 2000));
    }
}

namespace {
struct SharedEntry {
    std::unique_ptr<Stack> stack;
    std::string failure;
};
std::mutex shared_mutex;
std::map<std::string, SharedEntry>& shared_stacks() {
    static std::map<std::string, SharedEntry> stacks;
    return stacks;
}
}  // namespace

Stack& shared_stack(const std::string& name, const std::function<ServerOptions()>& make) {
    std::lock_guard lock(shared_mutex);
    SharedEntry& e = shared_stacks()[name];
    if (e.stack) return *e.stack;
    if (!e.failure.empty()) {
        throw std::runtime_error("shared stack '" + name +
                                 "' failed to start earlier: " + e.failure);
    }
    try {
        e.stack = std::make_unique<Stack>(make());
    } catch (const std::exception& ex) {
        e.failure = ex.what();
        throw;
    }
    return *e.stack;
}

void stop_shared_stacks() {
    std::lock_guard lock(shared_mutex);
    shared_stacks().clear();
}

}  // namespace support
