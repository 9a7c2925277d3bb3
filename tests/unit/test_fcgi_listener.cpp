// fcgi::Listener and fcgi::Request on a Unix socket of their own, a test client
// standing in for nginx: requests that follow each other on a kept connection
// cost the loop no change of interest in the kernel (epoll_ctl), and a request
// being answered neither spins on bytes it does not read nor loses nginx's close
// when nobody watched for it yet (docs/ARCHITECTURE.md, "Output").
#include <fcgiapp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fcgi/listener.hpp"
#include "loop/event_loop.hpp"

using asyncpage::Millis;
using asyncpage::fcgi::Listener;
using asyncpage::fcgi::Request;
using asyncpage::loop::EventLoop;

namespace {

std::string record(int type, std::string_view content) {
    std::string h = {1, char(type), 0, 1, char(content.size() >> 8), char(content.size() & 0xff),
                     0, 0};
    return h + std::string(content);
}

std::string pair(std::string_view name, std::string_view value) {
    return std::string(1, char(name.size())) + std::string(1, char(value.size())) +
           std::string(name) + std::string(value);
}

// BEGIN_REQUEST (responder, FCGI_KEEP_CONN as asked), a GET's params, the empty
// PARAMS record; the empty STDIN record when `with_stdin`.
std::string get_request(bool keep, bool with_stdin = true) {
    std::string begin = {0, 1, char(keep ? 1 : 0), 0, 0, 0, 0, 0};
    std::string params = pair("REQUEST_METHOD", "GET") + pair("DOCUMENT_URI", "/healthz") +
                         pair("REQUEST_URI", "/healthz") + pair("QUERY_STRING", "");
    return record(1, begin) + record(4, params) + record(4, "") +
           (with_stdin ? record(5, "") : std::string());
}

bool has_end_request(const std::string& bytes) {
    std::size_t off = 0;
    while (off + 8 <= bytes.size()) {
        auto b = [&](std::size_t i) { return static_cast<unsigned char>(bytes[off + i]); };
        if (b(1) == 3) return true;
        off += 8 + ((std::size_t(b(4)) << 8) | b(5)) + b(6);
    }
    return false;
}

struct Fixture {
    std::filesystem::path dir;
    EventLoop loop;
    std::unique_ptr<Listener> listener;
    std::vector<std::unique_ptr<Request>> held;  // requests the test answers itself
    bool answer_at_once = true;
    int listen_fd = -1;

    Fixture() {
        FCGX_Init();  // FCGX_Accept_r refuses to work before it
        char tmpl[] = "/tmp/asyncpage-listener-XXXXXX";
        BOOST_REQUIRE(::mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        listen_fd = asyncpage::fcgi::open_listen_socket((dir / "s.sock").string());
        listener = std::make_unique<Listener>(loop, listen_fd, 1024, Millis(5000),
                                              [this](std::unique_ptr<Request> r) {
                                                  if (answer_at_once) {
                                                      r->respond(200, "text/plain", "ok\n");
                                                  } else {
                                                      held.push_back(std::move(r));
                                                  }
                                              });
    }
    ~Fixture() {
        held.clear();
        listener.reset();
        loop.run_once(0);  // the closing phase frees what the listener handed over
        ::close(listen_fd);
        std::filesystem::remove_all(dir);
    }
    int connect() const {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::string path = (dir / "s.sock").string();
        std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
        BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        return fd;
    }
    // Runs passes until the client has a whole answer (or 2 s went by).
    std::string answer(int fd) {
        std::string got;
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (!has_end_request(got) && std::chrono::steady_clock::now() < until) {
            loop.run_once(10);
            char buf[4096];
            ssize_t n;
            while ((n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
                got.append(buf, std::size_t(n));
        }
        return got;
    }
    // How long `passes` passes of at most `wait_ms` each took: a loop that has
    // nothing to do sleeps through each wait.
    Millis time_passes(int passes, int wait_ms) {
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < passes; ++i)
            loop.run_once(wait_ms);
        return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start);
    }
};

void send_all(int fd, const std::string& bytes) {
    BOOST_REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size()));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fcgi_listener)

// The fd goes from the listener (waiting for the next request) to the request's
// connection and back on every request: with rebind and one interest for both
// (POLLIN | POLLRDHUP), the kernel hears of it once, when the fd is first watched.
// Dropping the interest and taking it again cost four epoll_ctl calls a page.
BOOST_AUTO_TEST_CASE(kept_connection_requests_cost_no_epoll_ctl) {
    Fixture f;
    int fd = f.connect();
    send_all(fd, get_request(true));
    BOOST_TEST_REQUIRE(has_end_request(f.answer(fd)));
    auto calls = f.loop.interest_calls();
    for (int i = 0; i < 5; ++i) {
        send_all(fd, get_request(true));
        BOOST_TEST_REQUIRE(has_end_request(f.answer(fd)), "request " << i);
    }
    BOOST_TEST(f.loop.interest_calls() - calls == 0u);
    ::close(fd);
}

// While a request is answered its fd stays watched for input: bytes that are not
// the request's to read (here the late empty STDIN record) must stop that, or
// every pass would wake for them.
BOOST_AUTO_TEST_CASE(stray_input_while_answering_does_not_spin) {
    Fixture f;
    f.answer_at_once = false;
    int fd = f.connect();
    send_all(fd, get_request(true, false));
    f.time_passes(5, 10);
    BOOST_TEST_REQUIRE(f.held.size() == 1u);
    send_all(fd, std::string(8, '\1'));  // not a record of this request
    Millis took = f.time_passes(4, 50);
    BOOST_TEST(took.count() >= 150, "4 passes of 50 ms took " << took.count() << " ms");
    f.held[0]->respond(200, "text/plain", "ok\n");
    BOOST_TEST(has_end_request(f.answer(fd)));
    ::close(fd);
}

// nginx closes before anyone watched for it: the loop does not spin on the
// close, and the page that watches afterwards hears of it.
BOOST_AUTO_TEST_CASE(close_before_the_hangup_watch_is_told_later) {
    Fixture f;
    f.answer_at_once = false;
    int fd = f.connect();
    send_all(fd, get_request(true));
    f.time_passes(5, 10);
    BOOST_TEST_REQUIRE(f.held.size() == 1u);
    ::close(fd);
    Millis took = f.time_passes(4, 50);
    BOOST_TEST(took.count() >= 150, "4 passes of 50 ms took " << took.count() << " ms");
    bool gone = false;
    f.held[0]->watch_hangup([&] { gone = true; });
    f.time_passes(3, 20);
    BOOST_TEST(gone);
}

BOOST_AUTO_TEST_SUITE_END()
