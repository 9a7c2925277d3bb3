#pragma once
// asyncpage + nginx in front of it: the unit most tests talk to. Either owned by
// one test (for servers with special settings) or shared by name across a module.
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/http.hpp"
#include "support/metrics.hpp"
#include "support/nginx.hpp"
#include "support/server.hpp"

namespace support {

class Stack {
  public:
    explicit Stack(ServerOptions options);

    Server& server() { return server_; }
    Nginx& nginx() { return nginx_; }
    std::string url(const std::string& path) const { return nginx_.url(path); }

    Response get(const std::string& path, std::vector<std::string> headers = {},
                 long timeout_ms = 30000) const;
    Response send(Request req) const;  // req.url is a path here; the host is filled in
    Request request(const std::string& path, long timeout_ms = 30000) const;
    // GET /metrics (throws unless 200).
    Metrics metrics() const;

  private:
    Server server_;
    Nginx nginx_;
};

// The body as JSON; throws with the status and body when it is not JSON.
nlohmann::json parse_json(const Response& r);

// A Stack started on first use and kept until the end of the test module
// (GlobalSetup's teardown), so the suites of one binary share it. A failed start is
// remembered and reported again at once instead of retried by every test.
Stack& shared_stack(const std::string& name, const std::function<ServerOptions()>& make);
void stop_shared_stacks();

}  // namespace support
