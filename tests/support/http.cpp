// libcurl wrappers: single requests, a curl_multi runner for many concurrent
// requests, streaming, aborted requests. No connection reuse across calls: each
// request is what a fresh browser connection would be.
#include "support/http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "support/env.hpp"

namespace support {

namespace {

struct Transfer {
    Response response;
    curl_slist* header_list = nullptr;
    const std::function<void(std::string_view)>* sink = nullptr;
    Clock::time_point start;
};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return std::string(s);
}

size_t on_body(char* data, size_t size, size_t nmemb, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t n = size * nmemb;
    if (t->sink != nullptr) {
        (*t->sink)(std::string_view(data, n));
    } else {
        t->response.body.append(data, n);
    }
    return n;
}

size_t on_header(char* data, size_t size, size_t nmemb, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t n = size * nmemb;
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
        t->response.headers.clear();  // a new response (e.g. after 100 Continue)
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
        t->response.headers[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
    }
    return n;
}

CURL* make_easy(const Request& req, Transfer& t) {
    http_init();
    CURL* h = curl_easy_init();
    if (h == nullptr) throw std::runtime_error("curl_easy_init failed");
    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req.timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // send odd paths as written
    std::vector<std::string> headers = req.headers;
    headers.emplace_back("Expect:");  // no 100-continue round trip for larger bodies
    for (const auto& hdr : headers)
        t.header_list = curl_slist_append(t.header_list, hdr.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, t.header_list);
    if (req.method == "HEAD") {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (req.method == "POST" || !req.body.empty()) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
        if (req.method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    } else if (req.method != "GET") {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    t.start = Clock::now();
    return h;
}

void finish_easy(CURL* h, CURLcode code, Transfer& t) {
    t.response.seconds = seconds_since(t.start);
    t.response.curl_code = static_cast<int>(code);
    if (code != CURLE_OK) {
        t.response.error = curl_easy_strerror(code);
        t.response.status = 0;
    } else {
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        t.response.status = status;
    }
    curl_slist_free_all(t.header_list);
    t.header_list = nullptr;
    curl_easy_cleanup(h);
}

}  // namespace

std::string Response::header(std::string_view name) const {
    auto it = headers.find(lower(name));
    return it == headers.end() ? std::string() : it->second;
}

bool Response::has_header(std::string_view name) const {
    return headers.count(lower(name)) != 0;
}

std::string Response::summary() const {
    char buf[160];
    if (status == 0) {
        std::snprintf(buf, sizeof buf, "no answer after %.3f s: %s", seconds, error.c_str());
    } else {
        std::snprintf(buf, sizeof buf, "%ld in %.3f s (%zu bytes)", status, seconds, body.size());
    }
    return buf;
}

void http_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
            throw std::runtime_error("curl_global_init failed");
        }
    });
}

Response request(const Request& req) {
    Transfer t;
    CURL* h = make_easy(req, t);
    CURLcode code = curl_easy_perform(h);
    finish_easy(h, code, t);
    return std::move(t.response);
}

Response get(const std::string& url, std::vector<std::string> headers, long timeout_ms) {
    Request req;
    req.url = url;
    req.headers = std::move(headers);
    req.timeout_ms = timeout_ms;
    return request(req);
}

std::vector<Response> run_concurrent(const std::vector<Request>& reqs) {
    http_init();
    raise_fd_limit();
    CURLM* multi = curl_multi_init();
    if (multi == nullptr) throw std::runtime_error("curl_multi_init failed");
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_NOTHING));
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(reqs.size() + 8));

    std::vector<std::unique_ptr<Transfer>> transfers;
    std::map<CURL*, size_t> index;
    for (size_t i = 0; i < reqs.size(); ++i) {
        transfers.push_back(std::make_unique<Transfer>());
        CURL* h = make_easy(reqs[i], *transfers.back());
        index[h] = i;
        curl_multi_add_handle(multi, h);
    }
    auto start = Clock::now();
    for (auto& t : transfers)
        t->start = start;

    int running = 1;
    size_t done = 0;
    while (done < reqs.size()) {
        CURLMcode mc = curl_multi_perform(multi, &running);
        if (mc != CURLM_OK) {
            curl_multi_cleanup(multi);
            throw std::runtime_error(std::string("curl_multi_perform: ") + curl_multi_strerror(mc));
        }
        int queued = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL* h = msg->easy_handle;
            size_t i = index.at(h);
            curl_multi_remove_handle(multi, h);
            finish_easy(h, msg->data.result, *transfers[i]);
            ++done;
        }
        if (done < reqs.size()) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    }
    curl_multi_cleanup(multi);
    std::vector<Response> out;
    out.reserve(transfers.size());
    for (auto& t : transfers)
        out.push_back(std::move(t->response));
    return out;
}

std::future<std::vector<Response>> run_concurrent_async(std::vector<Request> reqs) {
    return std::async(std::launch::async,
                      [reqs = std::move(reqs)] { return run_concurrent(reqs); });
}

std::future<Response> request_async(Request req) {
    return std::async(std::launch::async, [req = std::move(req)] { return request(req); });
}

Response stream(const Request& req, const std::function<void(std::string_view)>& on_data) {
    Transfer t;
    t.sink = &on_data;
    CURL* h = make_easy(req, t);
    CURLcode code = curl_easy_perform(h);
    finish_easy(h, code, t);
    return std::move(t.response);
}

std::string url_encode(std::string_view text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace support
