// nginx keeps its FastCGI connections to asyncpage (fastcgi_keep_conn on): a
// worker answers request after request on one connection, also when the previous
// request's last STDIN record is still in the socket, and pages through nginx
// reuse connections instead of opening one each.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "support/fcgi_raw.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

namespace {

struct Answer {
    std::string bytes;
    bool ended = false;  // an END_REQUEST record arrived
    bool eof = false;    // the worker closed the connection
};

bool has_end_request(std::string_view bytes) {
    std::size_t off = 0;
    while (off + 8 <= bytes.size()) {
        auto b = [&](std::size_t i) { return static_cast<unsigned char>(bytes[off + i]); };
        std::size_t total = 8 + ((std::size_t(b(4)) << 8) | b(5)) + b(6);
        if (off + total > bytes.size()) return false;
        if (b(1) == FcgiEndRequest) return true;
        off += total;
    }
    return false;
}

// Reads one answer: up to its END_REQUEST record, then waits `linger_ms` more to
// see whether the worker closes the connection.
Answer read_answer(int fd, int timeout_ms, int linger_ms = 200) {
    Answer a;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    char buf[4096];
    while (!a.eof && !a.ended) {
        int wait = int(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
        if (wait <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, wait) <= 0) break;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            a.eof = true;
            break;
        }
        a.bytes.append(buf, std::size_t(n));
        a.ended = has_end_request(a.bytes);
    }
    if (a.ended && !a.eof) {  // does the worker close it after answering?
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, linger_ms) > 0 && ::recv(fd, buf, sizeof buf, MSG_PEEK) == 0)
            a.eof = true;
    }
    return a;
}

void send_all(int fd, const std::string& bytes) {
    BOOST_TEST_REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                       static_cast<ssize_t>(bytes.size()));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(keep_conn)

BOOST_AUTO_TEST_CASE(requests_follow_each_other_on_one_kept_connection) {
    Stack& s = integration_stack();
    std::vector<pid_t> workers = s.server().wait_workers(1);
    int fd = unix_connect(s.server().socket_path().string());
    const std::string params =
        fcgi_record(FcgiParams, 1, fcgi_encode_params(fcgi_get_params("/healthz"))) +
        fcgi_record(FcgiParams, 1, "");
    const std::string stdin_end = fcgi_record(FcgiStdin, 1, "");

    // 1: a whole request, with nginx's keep flag.
    send_all(fd, fcgi_begin_request(1, true) + params + stdin_end);
    Answer first = read_answer(fd, 5000);
    BOOST_TEST(first.ended, "no END_REQUEST for request 1: " << first.bytes.size() << " bytes");
    BOOST_TEST(icontains(fcgi_stdout(first.bytes), "ok"));
    BOOST_TEST(!first.eof, "the worker closed a connection nginx asked to keep");

    // 2: its empty STDIN record comes only after the answer, together with
    // request 3: the worker must read past it.
    send_all(fd, fcgi_begin_request(1, true) + params);
    Answer second = read_answer(fd, 5000);
    BOOST_TEST(second.ended, "no END_REQUEST for request 2");
    BOOST_TEST(!second.eof);
    send_all(fd, stdin_end + fcgi_begin_request(1, true) + params + stdin_end);
    Answer third = read_answer(fd, 5000);
    BOOST_TEST(third.ended, "no END_REQUEST for request 3 after a late STDIN record");
    BOOST_TEST(icontains(fcgi_stdout(third.bytes), "ok"));
    BOOST_TEST(!third.eof);

    // 4: without the keep flag the worker closes after answering.
    send_all(fd, fcgi_begin_request(1, false) + params + stdin_end);
    Answer last = read_answer(fd, 5000, 2000);
    BOOST_TEST(last.ended);
    BOOST_TEST(last.eof, "the worker kept a connection nginx did not ask to keep");
    ::close(fd);
    BOOST_TEST(s.server().worker_pids() == workers);
}

// A 413 whose 100 KB body the worker never read, on a connection nginx asked to
// keep: the worker discards the body's STDIN records exactly up to the empty one
// and keeps the connection, so the next request on it is answered (a shutdown
// and lingering close, or a discard that read past the empty record, lose it).
BOOST_AUTO_TEST_CASE(a_413_with_an_unread_body_keeps_the_connection) {
    Stack& s = integration_stack();  // max_body = 1KB
    int fd = unix_connect(s.server().socket_path().string());
    const std::string body = "a=" + std::string(100 * 1024, 'x');
    // fcgi_full_request without its BEGIN_REQUEST record (16 bytes), which has no keep flag.
    std::string post =
        fcgi_begin_request(1, true) +
        fcgi_full_request(1, fcgi_request_params("POST", "/reports/trivial", body.size()), body)
            .substr(16);
    const std::string get =
        fcgi_begin_request(1, true) +
        fcgi_record(FcgiParams, 1, fcgi_encode_params(fcgi_get_params("/healthz"))) +
        fcgi_record(FcgiParams, 1, "") + fcgi_record(FcgiStdin, 1, "");
    for (int i = 0; i < 3; ++i) {
        send_all(fd, post);
        Answer a = read_answer(fd, 5000);
        BOOST_TEST(a.ended, "no END_REQUEST for POST " << i);
        BOOST_TEST(contains(fcgi_stdout(a.bytes), "Status: 413"), fcgi_stdout(a.bytes));
        BOOST_TEST_REQUIRE(!a.eof, "the worker closed a kept connection after a 413");
        // The next request right behind: answered on the same connection.
        send_all(fd, get);
        Answer next = read_answer(fd, 5000);
        BOOST_TEST_REQUIRE(next.ended, "no answer to the request after the 413 (" << i << ")");
        BOOST_TEST(icontains(fcgi_stdout(next.bytes), "ok"));
        BOOST_TEST_REQUIRE(!next.eof);
    }
    ::close(fd);
}

BOOST_AUTO_TEST_CASE(pages_through_nginx_reuse_connections) {
    ServerOptions o;
    o.workers = 1;
    Stack s(o);
    Metrics before = s.metrics();
    const int pages = 20;
    for (int i = 0; i < pages; ++i) {
        Response r = s.get("/reports/trivial?format=json");
        BOOST_TEST_REQUIRE(r.status == 200, r.summary());
    }
    Metrics after = s.metrics();
    double requests = after.value("asyncpage_fastcgi_requests_total") -
                      before.value("asyncpage_fastcgi_requests_total");
    double connections = after.value("asyncpage_fastcgi_connections_total") -
                         before.value("asyncpage_fastcgi_connections_total");
    BOOST_TEST_MESSAGE(requests << " requests over " << connections << " new connections");
    BOOST_TEST(requests >= pages);
    // nginx runs two workers, each with connections of its own to keep.
    BOOST_TEST(connections <= 2, requests << " requests took " << connections << " connections");
}

BOOST_AUTO_TEST_SUITE_END()
