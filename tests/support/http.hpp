#pragma once
// HTTP client for the suites, on libcurl: one request at a time, N requests at
// once on curl_multi (each on its own connection), streaming a large body without
// keeping it, and requests that the client abandons after a given time.
#include <functional>
#include <future>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace support {

struct Request {
    std::string method = "GET";  // any token; HEAD sends no body
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;                  // sent when non-empty (or method is POST)
    long timeout_ms = 30000;           // CURLOPT_TIMEOUT_MS: the client gives up (aborts) then
};

struct Response {
    long status = 0;                             // 0 when no HTTP answer came (see error)
    std::map<std::string, std::string> headers;  // names lower-cased; a repeated one keeps the last
    std::string body;
    double seconds = 0;  // from the start of the request to its end (or abort)
    int curl_code = 0;   // CURLcode; 28 (CURLE_OPERATION_TIMEDOUT) when timeout_ms hit
    std::string error;   // curl's message when curl_code != 0

    // Header value ("" when absent); `name` in any case.
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
    // One line for logs: "200 in 0.012 s (12 bytes)".
    std::string summary() const;
};

// Initialises libcurl once per process (thread-safe).
void http_init();

Response request(const Request& req);
Response get(const std::string& url, std::vector<std::string> headers = {},
             long timeout_ms = 30000);

// Fires every request at once on one curl_multi handle, each on its own connection
// (no pipelining, no connection cap), and returns the responses in request order;
// seconds are measured from the moment all were added.
std::vector<Response> run_concurrent(const std::vector<Request>& reqs);

// The same in a background thread.
std::future<std::vector<Response>> run_concurrent_async(std::vector<Request> reqs);
std::future<Response> request_async(Request req);

// Passes the body to `on_data` chunk by chunk instead of keeping it (body stays empty).
Response stream(const Request& req, const std::function<void(std::string_view)>& on_data);

// Percent-encodes a query value (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view text);

}  // namespace support
