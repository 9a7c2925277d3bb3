// Output that never blocks a worker (README, "Configuration": send_timeout): a
// FastCGI peer that asks for a large CSV and reads nothing holds no worker; its
// export pauses (PostgreSQL waits on its socket), and after send_timeout the peer
// is dropped and its query cancelled. The same for an event stream whose reader
// stopped.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <regex>
#include <string>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "support/env.hpp"
#include "support/fcgi_raw.hpp"
#include "support/pg.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

namespace {

// One worker, so that a stalled write would stall every page; a short send_timeout.
ServerOptions one_worker(const std::string& send_timeout) {
    ServerOptions o;
    o.workers = 1;
    o.config["send_timeout"] = toml_string(send_timeout);
    return o;
}

// Sends a whole GET to the worker's socket and returns the connection, never read.
int raw_get(Stack& s, const std::string& uri) {
    int fd = unix_connect(s.server().socket_path().string());
    std::string bytes = fcgi_full_request(1, fcgi_get_params(uri));
    BOOST_TEST_REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                       ssize_t(bytes.size()));
    return fd;
}

// Whether the worker closed its end, seen without reading a byte (reading would
// make room for more output and so be progress): POLLRDHUP.
bool closed_by_worker(int fd, std::chrono::milliseconds timeout) {
    return wait_until(
        [&] {
            pollfd p{fd, POLLRDHUP, 0};
            return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
        },
        timeout);
}

void trivial_pages_answer_at_once(Stack& s, const std::string& while_what) {
    for (int i = 0; i < 5; ++i) {
        Response r = s.get("/reports/trivial?format=json", {}, 10000);
        BOOST_TEST(r.status == 200, while_what << ": " << r.summary());
        BOOST_TEST(r.seconds < 1.0, while_what << ": a trivial page took " << r.seconds << " s");
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(output)

BOOST_AUTO_TEST_CASE(csv_peer_that_reads_nothing_pauses_then_is_dropped) {
    Stack s(one_worker("3s"));
    Pg pg;
    const std::string app = s.server().application_name();
    pid_t worker = s.server().wait_workers(1).front();
    long hwm_before = Server::hwm_bytes(worker);
    // csv_big: 1,000,000 rows (~17 MB of CSV), timeout 120 s: only send_timeout ends it.
    int fd = raw_get(s, "/reports/csv_big?format=csv&section=rows");
    auto waiting_on_client = [&] {
        return pg.scalar_int(
                   "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
                   "AND query LIKE '%generate_series%' AND wait_event = 'ClientWrite'",
                   app) == 1;
    };
    // The export pauses: asyncpage stops reading rows, so the backend blocks
    // writing them (without the pause the worker would read all of them into
    // memory and the query would end in well under a second).
    BOOST_TEST_REQUIRE(
        wait_until(waiting_on_client, 10s),
        "the export's backend never waited on its client: " << s.server().log_tail());
    auto stalled = Clock::now();
    trivial_pages_answer_at_once(s, "a CSV peer reading nothing");
    BOOST_TEST(pg.count_active(app, "%generate_series%") == 1,
               "the paused export must still run until send_timeout");

    // Dropped after send_timeout (3 s): the connection closed, the query cancelled.
    BOOST_TEST(closed_by_worker(fd, 15s), "the peer was never dropped");
    double dropped_after = seconds_since(stalled);
    // What the pause is for: until the drop, the worker read about the output
    // queue's high-water mark (512 KB: some 30,000 rows of csv_big) plus what the
    // socket buffers hold, not the 1,000,000 rows (17 MB) that PostgreSQL would
    // have sent it unpaused. The access line's rows= counts the rows taken from
    // PostgreSQL; the peak memory says the same where the allocator lets it
    // (sanitizer builds keep freed memory in quarantine: hundreds of MB).
    std::smatch m;
    const std::string log = s.server().log_tail(200);
    static const std::regex kRows("report=csv_big [^\n]* rows=([0-9]+)");
    BOOST_TEST_REQUIRE(std::regex_search(log, m, kRows), "no access line for csv_big: " << log);
    const long rows = std::stol(m[1].str());
    BOOST_TEST_MESSAGE("the worker took " << rows << " rows from PostgreSQL before the drop");
    BOOST_TEST(rows < 200000, "the worker took " << rows << " rows: it kept reading rows");
    long grew = Server::hwm_bytes(worker) - hwm_before;
    BOOST_TEST_MESSAGE("the worker's peak memory grew " << grew / 1024 << " KB");
    if (!sanitized_build())
        BOOST_TEST(grew < 12L * 1024 * 1024,
                   "the worker's peak memory grew " << grew / 1024 << " KB: it kept reading rows");
    BOOST_TEST(wait_until([&] { return pg.count_active(app, "%generate_series%") == 0; }, 10s),
               "the dropped peer's query still runs");
    BOOST_TEST_MESSAGE("peer dropped " << dropped_after << " s after the export paused");
    BOOST_TEST(dropped_after >= 1.5, "dropped long before send_timeout: " << dropped_after);
    BOOST_TEST(contains(s.server().log_tail(200), "took no output"), s.server().log_tail());
    ::close(fd);
    trivial_pages_answer_at_once(s, "after the drop");
}

BOOST_AUTO_TEST_CASE(event_stream_whose_reader_stops_holds_no_worker) {
    Stack s(one_worker("3s"));
    // 1000 progress steps: far more event bytes than the socket buffers hold.
    Request post = s.request("/reports/job_steps/jobs");
    post.method = "POST";
    post.body = "steps=1000&step_ms=3";
    post.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
    Response created = support::request(post);
    BOOST_TEST_REQUIRE(created.status == 202, created.summary() << " " << created.body);
    std::string id = parse_json(created)["id"];
    int fd = raw_get(s, "/jobs/" + id + "/events");
    auto start = Clock::now();
    // While the job runs (about 3 s) and its events pile up unread.
    int pages = 0;
    while (seconds_since(start) < 4.0) {
        trivial_pages_answer_at_once(s, "an event stream nobody reads");
        pages += 5;
    }
    BOOST_TEST_MESSAGE(pages << " trivial pages while the stream was not read");
    // The stream ended with the job or was dropped for send_timeout: either way
    // the worker lets go of it.
    BOOST_TEST(closed_by_worker(fd, 15s), "the unread event stream was never let go");
    ::close(fd);
    Response after = s.get("/jobs/" + id, {"Accept: application/json"});
    BOOST_TEST(after.status == 200, after.summary());
}

BOOST_AUTO_TEST_SUITE_END()
