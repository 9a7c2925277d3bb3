// FastCGI output framing (record headers, splitting at 65,535 bytes, END_REQUEST)
// and fcgi::Connection's queue on a socket pair standing in for nginx: writes
// that never block, backpressure marks, send_timeout, and the exact discard of
// an unread body on a kept connection.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "fcgi/connection.hpp"
#include "fcgi/record.hpp"
#include "loop/event_loop.hpp"

using asyncpage::Millis;
using asyncpage::fcgi::Connection;
using asyncpage::loop::EventLoop;
namespace fcgi = asyncpage::fcgi;

namespace {

struct Record {
    int version, type, id, padding;
    std::string content;
};

// Parses whole records; BOOST_REQUIREs that `bytes` is nothing but records.
std::vector<Record> parse(std::string_view bytes) {
    std::vector<Record> out;
    std::size_t off = 0;
    while (off < bytes.size()) {
        BOOST_REQUIRE(off + 8 <= bytes.size());
        auto b = [&](std::size_t i) { return static_cast<unsigned char>(bytes[off + i]); };
        Record r{b(0), b(1), (b(2) << 8) | b(3), b(6), {}};
        std::size_t len = (std::size_t(b(4)) << 8) | b(5);
        BOOST_REQUIRE(b(7) == 0);
        BOOST_REQUIRE(off + 8 + len + std::size_t(r.padding) <= bytes.size());
        r.content = std::string(bytes.substr(off + 8, len));
        off += 8 + len + std::size_t(r.padding);
        out.push_back(std::move(r));
    }
    return out;
}

std::string stdin_record(int id, std::string_view content) {
    std::string h = {1,
                     5,
                     char(id >> 8),
                     char(id & 0xff),
                     char(content.size() >> 8),
                     char(content.size() & 0xff),
                     0,
                     0};
    return h + std::string(content);
}

struct Pair {
    int app = -1, peer = -1;
    Pair() {
        int fds[2];
        BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
        app = fds[0];
        peer = fds[1];
    }
    ~Pair() {
        if (peer >= 0) ::close(peer);
    }
    std::string read_all() const {
        std::string got;
        char buf[65536];
        for (;;) {
            ssize_t n = ::recv(peer, buf, sizeof buf, MSG_DONTWAIT);
            if (n <= 0) return got;
            got.append(buf, std::size_t(n));
        }
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(fcgi_output)

BOOST_AUTO_TEST_CASE(stdout_record_header_bytes) {
    std::string out;
    fcgi::append_stdout(out, 0x0102, "hello");
    const unsigned char want[] = {1, 6, 0x01, 0x02, 0, 5, 0, 0, 'h', 'e', 'l', 'l', 'o'};
    BOOST_TEST(out == std::string(reinterpret_cast<const char*>(want), sizeof want));
    BOOST_TEST(fcgi::stdout_framed_size(5) == out.size());
    std::string none;
    fcgi::append_stdout(none, 1, "");
    BOOST_TEST(none.empty(), "an empty STDOUT record would end the stream");
}

BOOST_AUTO_TEST_CASE(stdout_splits_at_65535) {
    std::string data(65535 * 2 + 10, 'x');
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = char('a' + i % 26);
    std::string out;
    fcgi::append_stdout(out, 7, data);
    auto records = parse(out);
    BOOST_TEST_REQUIRE(records.size() == 3u);
    BOOST_TEST(records[0].content.size() == 65535u);
    BOOST_TEST(records[1].content.size() == 65535u);
    BOOST_TEST(records[2].content.size() == 10u);
    std::string joined;
    for (auto& r : records) {
        BOOST_TEST(r.version == 1);
        BOOST_TEST(r.type == 6);
        BOOST_TEST(r.id == 7);
        BOOST_TEST(r.padding == 0);
        joined += r.content;
    }
    BOOST_TEST(joined == data);
    BOOST_TEST(fcgi::stdout_framed_size(data.size()) == out.size());
    BOOST_TEST(fcgi::stdout_framed_size(65535) == 65535u + 8);
    BOOST_TEST(fcgi::stdout_framed_size(65536) == 65536u + 16);
}

BOOST_AUTO_TEST_CASE(end_request_record) {
    std::string out;
    fcgi::append_end(out, 0xabcd, 0x01020304);
    const unsigned char want[] = {1, 6, 0xab, 0xcd, 0, 0, 0, 0,  // empty STDOUT
                                  1, 3, 0xab, 0xcd, 0, 8, 0, 0,  // END_REQUEST
                                  1, 2, 3,    4,    0, 0, 0, 0};
    BOOST_TEST(out == std::string(reinterpret_cast<const char*>(want), sizeof want));
}

BOOST_AUTO_TEST_CASE(writes_never_block_and_backpressure_marks_hold) {
    EventLoop loop;
    Pair p;
    auto conn = std::make_unique<Connection>(loop, p.app, 1, Millis(60000));
    // 3 MB to a peer that reads nothing: far more than the socket buffers hold.
    std::string chunk(1 << 20, 'c');
    auto before = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) {
        conn->append(chunk);
        conn->send();
    }
    BOOST_TEST((std::chrono::steady_clock::now() - before < std::chrono::seconds(2)),
               "writing 3 MB to a peer that reads nothing must not block");
    BOOST_TEST(conn->ok());
    BOOST_TEST(conn->congested());
    BOOST_TEST(conn->queued() > Connection::kHighWater);
    bool drained = false;
    std::size_t queued_when_drained = 0;
    conn->on_drained([&] {
        drained = true;
        queued_when_drained = conn->queued();
    });
    std::string got;
    for (int pass = 0; pass < 10000 && !drained; ++pass) {
        got += p.read_all();
        loop.run_once(10);
    }
    BOOST_TEST(drained);
    BOOST_TEST(queued_when_drained <= Connection::kLowWater);
    BOOST_TEST(!conn->congested());
    bool done = false, done_ok = false;
    conn->end(0, false, [&](bool ok) {
        done = true;
        done_ok = ok;
    });
    for (int pass = 0; pass < 10000 && !done; ++pass) {
        got += p.read_all();
        loop.run_once(10);
    }
    got += p.read_all();
    BOOST_TEST(done);
    BOOST_TEST(done_ok);
    auto records = parse(got);
    std::size_t content = 0;
    for (std::size_t i = 0; i + 2 < records.size(); ++i)
        content += records[i].content.size();
    BOOST_TEST(content == 3u * chunk.size());
    BOOST_TEST_REQUIRE(records.size() >= 2u);
    BOOST_TEST(records[records.size() - 2].type == 6);
    BOOST_TEST(records[records.size() - 2].content.empty());
    BOOST_TEST(records.back().type == 3);
}

BOOST_AUTO_TEST_CASE(peer_taking_nothing_is_dropped_after_send_timeout) {
    EventLoop loop;
    Pair p;
    Connection conn(loop, p.app, 1, Millis(200));
    bool gone = false;
    conn.watch_hangup([&] { gone = true; });
    loop.update_now();  // the connection's clock is the loop's cached now
    auto start = std::chrono::steady_clock::now();
    conn.append(std::string(4 << 20, 'x'));
    conn.send();
    BOOST_TEST(!gone);
    while (!gone && std::chrono::steady_clock::now() - start < std::chrono::seconds(5))
        loop.run_once(50);
    auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(gone);
    BOOST_TEST(!conn.ok());
    BOOST_TEST(conn.queued() == 0u, "a dropped peer's output is freed");
    BOOST_TEST((took >= std::chrono::milliseconds(150)), "dropped before send_timeout");
}

BOOST_AUTO_TEST_CASE(peer_that_reads_slowly_is_not_dropped) {
    EventLoop loop;
    Pair p;
    Connection conn(loop, p.app, 1, Millis(400));
    bool gone = false;
    conn.watch_hangup([&] { gone = true; });
    conn.append(std::string(4 << 20, 'x'));
    conn.send();
    // Reads 64 KB every 50 ms (the 4 MB take longer than the test): the queue
    // moves, so send_timeout never passes although output is always waiting.
    auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1500)) {
        char buf[65536];
        (void)::recv(p.peer, buf, sizeof buf, MSG_DONTWAIT);
        loop.run_once(50);
    }
    BOOST_TEST(conn.queued() > 0u, "the test needs output waiting all along");
    BOOST_TEST(!gone);
    BOOST_TEST(conn.ok());
}

BOOST_AUTO_TEST_CASE(hangup_is_reported) {
    EventLoop loop;
    Pair p;
    Connection conn(loop, p.app, 1, Millis(60000));
    bool gone = false;
    conn.watch_hangup([&] { gone = true; });
    ::close(p.peer);
    p.peer = -1;
    for (int pass = 0; pass < 100 && !gone; ++pass)
        loop.run_once(10);
    BOOST_TEST(gone);
}

BOOST_AUTO_TEST_CASE(discard_stops_exactly_after_the_empty_stdin_record) {
    EventLoop loop;
    Pair p;
    Connection conn(loop, p.app, 1, Millis(60000));
    // The rest of a body (two records, one with padding), its end, and the next
    // request's first bytes right behind it, as nginx sends on a kept connection.
    std::string padded = stdin_record(1, std::string(1000, 'b'));
    padded[6] = 5;  // paddingLength
    padded += std::string(5, '\0');
    std::string rest = stdin_record(1, std::string(40000, 'a')) + padded + stdin_record(1, "");
    std::string next = "\x01\x01\x00\x01\x00\x08\x00\x00NEXTREQ!";
    // Split so that the first part ends inside a record header.
    std::size_t cut = 40000 + 8 + 3;
    BOOST_REQUIRE(::send(p.peer, rest.data(), cut, 0) == ssize_t(cut));
    bool done = false, done_ok = false;
    conn.end(0, true, [&](bool ok) {
        done = true;
        done_ok = ok;
    });
    for (int pass = 0; pass < 5; ++pass)
        loop.run_once(5);
    BOOST_TEST(!done, "done before the empty STDIN record came");
    std::string tail = rest.substr(cut) + next;
    BOOST_REQUIRE(::send(p.peer, tail.data(), tail.size(), 0) == ssize_t(tail.size()));
    for (int pass = 0; pass < 100 && !done; ++pass)
        loop.run_once(10);
    BOOST_TEST(done);
    BOOST_TEST(done_ok);
    int fd = conn.release_fd();
    char buf[64];
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    BOOST_TEST(std::string(buf, n > 0 ? std::size_t(n) : 0) == next,
               "the next request's bytes must stay in the socket");
    ::close(fd);
    auto records = parse(p.read_all());
    BOOST_TEST_REQUIRE(records.size() == 2u);
    BOOST_TEST(records[1].type == 3);
}

BOOST_AUTO_TEST_SUITE_END()
