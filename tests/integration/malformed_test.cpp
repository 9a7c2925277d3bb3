// No request, however malformed, crashes a worker: odd URLs and headers through
// nginx, and hand-made FastCGI records straight on the socket (garbage, early
// close, lying lengths, a peer that stalls mid-record). Worker pids must not change.
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstring>
#include <thread>

#include "support/fcgi_raw.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

namespace {

void expect_healthy(Stack& s, const std::vector<pid_t>& workers, const std::string& after) {
    BOOST_TEST(s.server().running(), "supervisor gone after " << after);
    BOOST_TEST(s.server().worker_pids() == workers, "worker pids changed after " << after);
    Response r = s.get("/reports/trivial?format=json", {}, 5000);
    BOOST_TEST(r.status == 200, "page after " << after << ": " << r.summary());
}

// Connects a raw peer to the worker's socket, sends `bytes` and stalls; returns once
// the worker has accepted it (its fd count grew), so that a request made next
// competes with the stalled peer. The caller closes the returned fd.
int stalled_peer(Stack& s, pid_t worker, const std::string& bytes) {
    int fds = Server::open_fds(worker);
    int fd = unix_connect(s.server().socket_path().string());
    BOOST_TEST_REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                       static_cast<ssize_t>(bytes.size()));
    BOOST_TEST_REQUIRE(wait_until([&] { return Server::open_fds(worker) > fds; }, 2s, 5ms),
                       "the worker did not accept the stalling peer");
    return fd;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(malformed)

BOOST_AUTO_TEST_CASE(odd_http_requests_do_not_crash) {
    Stack& s = integration_stack();
    std::vector<pid_t> workers = s.server().wait_workers(1);
    const std::vector<std::string> paths = {
        "/reports/trivial?%zz",
        "/reports/trivial?format=%zz",
        "/reports/trivial?format=json&%",
        "/reports/trivial?=&=&&&format=json",
        "/reports/trivial?format=xml",
        "/reports/trivial?format=json&format=csv",
        "/reports/trivial?format=csv",
        "/reports/trivial?format=csv&section=nope",
        "/reports/trivial?format=json&trace=1&trace=0",
        "/reports/params?format=json&qty=%E2%9C%93&label=%E2%9C%93",
        "/reports/params?format=json&qty=5&label=%ff%fe%fd",
        "/reports/params?format=json&qty=5&label=a%00b",
        "/reports/params?format=json&qty=-0&label=x",
        "/reports/params?format=json&qty=+5&label=x",
        "/reports/params?format=json&qty=%205&label=x",
        "/reports/params?format=json&qty=1e2&label=x",
        "/reports/params?format=json&qty=5&since=2024-02-30&label=x",
        "/reports/params?format=json&qty=5&since=0000-00-00&label=x",
        "/reports/params?format=json&qty=5&mode=FAST&label=x",
        "/reports/params?qty=5&qty=6&label=x&label=y",
        "/reports/html_escape?label=%3Cscript%3E%22%27%26",
        "/reports/",
        "/reports",
        "/reports/trivial/",
        "/reports/trivial/extra/parts",
        "/reports/..%2F..%2Fetc%2Fpasswd",
        "/reports/%00",
        "/reports/.hidden",
        "/reports/trivial.sql",
        "/reports/%E2%9C%93",
        "/" + std::string(3000, 'a'),
        "/reports/trivial?format=json&x=" + std::string(100 * 1024, 'y'),
        "/reports/trivial?" + std::string(2000, '&'),
        "/metrics?format=json",
        "/healthz?x=%zz",
    };
    int answered = 0;
    for (const auto& path : paths) {
        Response r = s.get(path, {}, 10000);
        std::string shown = path.substr(0, 80);
        if (path.size() > 80) shown += "...";
        BOOST_TEST_MESSAGE(r.status << " " << shown);
        BOOST_TEST(r.status != 0, shown << ": " << r.summary());
        BOOST_TEST(r.status != 502, shown << ": nginx lost the upstream (worker crash?)");
        BOOST_TEST(r.status != 504, shown);
        if (r.status != 0) ++answered;
    }
    BOOST_TEST(answered == static_cast<int>(paths.size()));

    // Paths that must be refused, not just survived: no file outside reports_dir, no
    // hidden or .sql file served, no report source in the answer.
    struct Refused {
        std::string path;
        long status;
    };
    for (const Refused& x : std::vector<Refused>{{"/reports/..%2F..%2Fetc%2Fpasswd", 400},
                                                 {"/reports/..%2Ftrivial", 404},
                                                 {"/reports/.hidden", 404},
                                                 {"/reports/trivial.sql", 404},
                                                 {"/reports/trivial?format=xml", 400}}) {
        Response r = s.get(x.path, {}, 10000);
        BOOST_TEST(r.status == x.status, x.path << ": " << r.summary() << " " << r.body);
        BOOST_TEST(!contains(r.body, "root:"), x.path << " leaks /etc/passwd: " << r.body);
        BOOST_TEST(!contains(r.body, "SELECT 1 AS one"), x.path << " leaks report source");
        BOOST_TEST(!contains(r.body, "-- section:"), x.path << " leaks report source");
    }
    BOOST_TEST(contains(s.get("/reports/trivial?format=xml").body, "format"),
               "the 400 names the parameter");

    // Odd methods and headers.
    std::vector<Request> reqs;
    auto add = [&](std::string method, std::string path, std::vector<std::string> headers,
                   std::string body = "") {
        Request r = s.request(path, 10000);
        r.method = std::move(method);
        r.headers = std::move(headers);
        r.body = std::move(body);
        reqs.push_back(std::move(r));
    };
    add("HEAD", "/reports/trivial?format=json", {});
    add("OPTIONS", "/reports/trivial", {});
    add("PATCH", "/reports/trivial", {}, "x=1");
    add("GET", "/reports/trivial", {"Accept: ;;;,,,q=abc"});
    add("GET", "/reports/trivial", {"Accept: application/json;q=abc, text/csv;q=-1"});
    add("GET", "/reports/trivial", {"Accept: text/csv"});
    add("GET", "/reports/trivial?run=1", {"Accept: */*"});
    add("GET", "/", {"Cookie: " + std::string(4000, 'c')});
    add("POST", "/reports/trivial", {"Content-Type: multipart/form-data; boundary="}, "--\r\n");
    add("POST", "/reports/trivial/jobs", {"Content-Type: application/x-www-form-urlencoded"},
        "%zz=%zz&&=");
    add("POST", "/reports/trivial", {"Content-Type: text/plain"}, std::string(100 * 1024, 'b'));
    add("GET", "/reports/trivial?format=json", {"Content-Type: application/json"}, "{");
    std::vector<Response> rs = run_concurrent(reqs);
    // HEAD is a GET without the body; OPTIONS is not served on a report page.
    BOOST_TEST(rs[0].status == 200, "HEAD: " << rs[0].summary());
    BOOST_TEST(rs[0].body.empty(), "HEAD answered with a body");
    BOOST_TEST(contains(rs[0].header("content-type"), "application/json"));
    BOOST_TEST(rs[1].status == 405, "OPTIONS: " << rs[1].summary());
    BOOST_TEST(rs[1].header("allow") == "GET, HEAD", "OPTIONS: Allow " << rs[1].header("allow"));
    BOOST_TEST(!contains(rs[1].body, "SELECT 1 AS one"), "OPTIONS leaks report source");
    for (size_t i = 0; i < rs.size(); ++i) {
        const Response& r = rs[i];
        std::string what =
            reqs[i].method + " " + reqs[i].url.substr(reqs[i].url.find('/', 8)) +
            (reqs[i].headers.empty() ? "" : " [" + reqs[i].headers[0].substr(0, 60) + "]");
        BOOST_TEST_MESSAGE(r.status << " " << what);
        BOOST_TEST(r.status != 0, what << ": " << r.summary());
        BOOST_TEST(r.status != 502, what << ": " << r.summary());
    }
    expect_healthy(s, workers, "odd HTTP requests");
}

BOOST_AUTO_TEST_CASE(raw_fastcgi_garbage_does_not_crash) {
    Stack& s = integration_stack();
    std::vector<pid_t> workers = s.server().wait_workers(1);
    const std::string sock = s.server().socket_path().string();

    // Our raw client works: a well-formed request gets an answer.
    RawExchange good = fcgi_exchange(sock, fcgi_full_request(1, fcgi_get_params("/healthz")), 5000);
    std::string out = fcgi_stdout(good.received);
    BOOST_TEST(contains(out, "ok"), "raw /healthz answered: " << out);

    std::string begin = fcgi_begin_request(1);
    std::vector<std::pair<std::string, std::string>> cases = {
        {"connect and close", ""},
        {"random bytes", std::string("\x7f\x00\xff\x13garbage\r\n\r\nGET / HTTP/1.1\r\n\r\n", 32)},
        {"HTTP instead of FastCGI", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"wrong version",
         std::string("\x02\x01\x00\x01\x00\x08\x00\x00", 8) + std::string(8, '\0')},
        {"begin request only", begin},
        {"record shorter than its length", begin + std::string("\x01\x04\x00\x01\xff\xff\x00\x00"
                                                               "abc",
                                                               11)},
        {"param length 2^31-1",
         begin + fcgi_record(FcgiParams, 1, std::string("\xff\xff\xff\xff\x01", 5) + "x") +
             fcgi_record(FcgiParams, 1, "")},
        {"params without DOCUMENT_URI",
         fcgi_full_request(1, {{"REQUEST_METHOD", "GET"}, {"QUERY_STRING", "format=json"}})},
        {"no params at all", fcgi_full_request(1, {})},
        {"CONTENT_LENGTH lies", fcgi_full_request(1,
                                                  {{"REQUEST_METHOD", "POST"},
                                                   {"DOCUMENT_URI", "/reports/trivial"},
                                                   {"CONTENT_LENGTH", "99999999999999999999"}},
                                                  "abc")},
        {"negative CONTENT_LENGTH", fcgi_full_request(1,
                                                      {{"REQUEST_METHOD", "POST"},
                                                       {"DOCUMENT_URI", "/reports/trivial"},
                                                       {"CONTENT_LENGTH", "-5"}},
                                                      "abc")},
        {"short body", begin +
                           fcgi_record(FcgiParams, 1,
                                       fcgi_encode_params({{"REQUEST_METHOD", "POST"},
                                                           {"DOCUMENT_URI", "/reports/trivial"},
                                                           {"CONTENT_LENGTH", "500"}})) +
                           fcgi_record(FcgiParams, 1, "") + fcgi_record(FcgiStdin, 1, "short")},
        {"request id 0 and role 7",
         std::string("\x01\x01\x00\x00\x00\x08\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00", 16)},
        {"abort before params", begin + fcgi_record(FcgiAbortRequest, 1, "")},
        {"binary in params",
         fcgi_full_request(1, {{"REQUEST_METHOD", "GET"},
                               {"DOCUMENT_URI", std::string("/reports/\0\xff", 11)},
                               {"QUERY_STRING", std::string("format=json&\0=\xff", 15)}})},
    };
    for (const auto& [what, bytes] : cases) {
        RawExchange ex = fcgi_exchange(sock, bytes, 500, /*shutdown_write=*/true);
        BOOST_TEST_MESSAGE("raw '" << what << "': " << ex.received.size() << " bytes back, "
                                   << (ex.eof ? "closed" : "open") << " after " << ex.seconds
                                   << " s");
        BOOST_TEST(s.server().worker_pids() == workers, "worker pids changed after " << what);
    }
    expect_healthy(s, workers, "raw FastCGI garbage");
}

BOOST_AUTO_TEST_CASE(stalled_fastcgi_peer_does_not_block_the_worker) {
    // FACTS.md: FCGX_Accept_r reads PARAMS with blocking reads, so a peer that sends
    // half a record and stalls would stall the whole (single) worker. The page
    // through nginx must still be answered at once.
    Stack& s = integration_stack();
    std::vector<pid_t> workers = s.server().wait_workers(1);
    int silent = stalled_peer(s, workers[0], "");
    // BEGIN_REQUEST, then a PARAMS record cut after 4 of its 9 content bytes.
    int half = stalled_peer(
        s, workers[0],
        fcgi_begin_request(1) + fcgi_record(FcgiParams, 1, "\x0b\x02SERVER_").substr(0, 12));
    Response r = s.get("/reports/trivial?format=json", {}, 5000);
    BOOST_TEST_MESSAGE("page while two raw peers stall: " << r.summary());
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.seconds < 1.0);
    ::close(half);
    ::close(silent);
    expect_healthy(s, workers, "stalled peers");
}

BOOST_AUTO_TEST_CASE(peer_announcing_a_body_and_stalling_does_not_block_the_worker) {
    // Complete params with CONTENT_LENGTH 500, then 4 bytes: reading the body
    // through libfcgi would block the worker on this peer.
    Stack& s = integration_stack();
    std::vector<pid_t> workers = s.server().wait_workers(1);
    // 500: under the stack's max_body (1KB), so it is not a 413.
    FcgiParamList params = fcgi_request_params("POST", "/reports/trivial?format=json", 500);
    std::string bytes = fcgi_begin_request(1) +
                        fcgi_record(FcgiParams, 1, fcgi_encode_params(params)) +
                        fcgi_record(FcgiParams, 1, "") + fcgi_record(FcgiStdin, 1, "a=1&");
    int stalled = stalled_peer(s, workers[0], bytes);
    Response r = s.get("/reports/trivial?format=json", {}, 5000);
    BOOST_TEST_MESSAGE("page while a peer stalls mid-body: " << r.summary());
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.seconds < 1.0);
    // The worker waits for a body (it reads bodies only once they are all in the
    // socket) without blocking, and gives up on the peer after the 5 s handshake
    // timeout: closed, no answer.
    std::string got;
    char buf[4096];
    ::timeval tv{8, 0};
    ::setsockopt(stalled, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    auto t0 = Clock::now();
    ssize_t n = 0;
    while ((n = ::recv(stalled, buf, sizeof buf, 0)) > 0)
        got.append(buf, n);
    int err = n < 0 ? errno : 0;
    double waited = seconds_since(t0);
    BOOST_TEST_MESSAGE("stalled peer closed after " << waited << " s more, " << got.size()
                                                    << " bytes");
    // Closing with the peer's bytes unread makes the kernel reset the connection.
    BOOST_TEST((n == 0 || err == ECONNRESET),
               "the worker closes the stalled peer's connection: " << std::strerror(err));
    BOOST_TEST(got.empty());
    BOOST_TEST(waited < 6.5);
    ::close(stalled);
    expect_healthy(s, workers, "peer stalled mid-body");
}

BOOST_AUTO_TEST_SUITE_END()
