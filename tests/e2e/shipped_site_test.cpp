// The nginx site users deploy (nginx/asyncpage.conf), run for real in front of
// `asyncpage serve` with only its socket and port substituted: pages route with
// the stock fastcgi_params, client_max_body_size equals asyncpage's default
// max_body, connections are kept (fastcgi_keep_conn), job event streams arrive
// event by event (buffering off), and its timeouts cover what asyncpage allows.
#include <boost/test/unit_test.hpp>
#include <mutex>
#include <regex>

#include "support/own_site.hpp"
#include "support/shipped_nginx.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;
using namespace support::own_site;

namespace {

const char* const events_job =
    "-- title: Events job\n"
    "-- param: steps int default 6\n"
    "-- param: step_ms int default 400\n"
    "-- job: true\n"
    "\n"
    "-- section: steps\n"
    "SELECT g.i AS own_shipped_step\n"
    "FROM generate_series(1, :steps) AS g(i),\n"
    "     LATERAL (SELECT asyncpage.progress(g.i * 100 / :steps, 'step ' || g.i),\n"
    "                     pg_sleep(:step_ms / 1000.0)) AS x;\n";

const char* const page_report =
    "-- title: Shipped page\n"
    "-- param: n int default 1\n"
    "\n"
    "-- section: one\n"
    "SELECT :n AS own_shipped;\n";

// A server (default max_body, one worker) behind the shipped site.
struct ShippedStack {
    ReportDir reports{Reports{{"page", page_report}, {"eventsjob", events_job}}};
    Server server;
    ShippedNginx nginx;
    ShippedStack() : server(options(reports)), nginx(server.socket_path()) {}
    static ServerOptions options(const ReportDir& r) {
        ServerOptions o;
        o.workers = 1;
        o.reports_dir = r.path();
        return o;
    }
    std::string url(const std::string& path) const { return nginx.url(path); }
};

// Seconds of an nginx time value ("120s", "1h", "60").
double nginx_seconds(const std::string& v) {
    double n = std::stod(v);
    if (v.ends_with("ms")) return n / 1000;
    if (v.ends_with("m")) return n * 60;
    if (v.ends_with("h")) return n * 3600;
    return n;
}

// The text of the block that starts with `head` (up to its matching brace).
std::string block(const std::string& text, const std::string& head) {
    size_t start = text.find(head);
    BOOST_TEST_REQUIRE(start != std::string::npos, "no block " << head);
    size_t open = text.find('{', start);
    int depth = 0;
    for (size_t i = open; i < text.size(); ++i) {
        if (text[i] == '{') ++depth;
        if (text[i] == '}' && --depth == 0) return text.substr(open, i - open + 1);
    }
    BOOST_FAIL("unbalanced block " << head);
    return {};
}

std::string directive(const std::string& text, const std::string& name) {
    std::smatch m;
    std::regex re("\\n\\s*" + name + "\\s+([^;]+);");
    BOOST_TEST_REQUIRE(std::regex_search(text, m, re), "no " << name);
    return m[1];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shipped_nginx_site)

BOOST_AUTO_TEST_CASE(pages_route_with_the_stock_fastcgi_params) {
    ShippedStack st;
    Response r = get(st.url("/reports/page?format=json&n=41"));
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body);
    BOOST_TEST(section(parse_json(r), "one")["rows"].dump() == "[[41]]");
    Response html = get(st.url("/reports/page?n=7"));
    BOOST_TEST(html.status == 200);
    BOOST_TEST(contains(html.body, ">7<"));
    BOOST_TEST(get(st.url("/reports/nope")).status == 404);
    Response health = get(st.url("/healthz"));
    BOOST_TEST(health.status == 200);
    BOOST_TEST(contains(health.body, "ok"));
}

// /metrics and /healthz answer local clients only (README, "Operations"): a client
// nginx sees as 127.0.0.2 (any address but localhost) gets 403, the pages still
// answer it.
BOOST_AUTO_TEST_CASE(metrics_and_healthz_answer_localhost_only) {
    ShippedStack st;
    // curl binds its socket to `source` (--interface), so nginx sees that address.
    auto status_from = [&](const std::string& path, const std::string& source) {
        CommandResult r = run_command(
            "curl -s -o /dev/null -w '%{http_code}' --max-time 20 "
            "--interface " +
            source + " " + shell_quote(st.url(path)));
        BOOST_TEST_MESSAGE(path << " from " << source << ": " << r.output);
        return r.output;
    };
    for (const char* path : {"/metrics", "/healthz"}) {
        BOOST_TEST(status_from(path, "127.0.0.1") == "200", path << " from 127.0.0.1");
        BOOST_TEST(status_from(path, "127.0.0.2") == "403", path << " from 127.0.0.2");
    }
    BOOST_TEST(status_from("/reports/page?format=json", "127.0.0.2") == "200",
               "a page from 127.0.0.2");
}

// client_max_body_size 1m: a body of exactly 1 MiB (asyncpage's default max_body)
// reaches asyncpage, which answers it itself; one byte more is nginx's 413.
BOOST_AUTO_TEST_CASE(body_limit_matches_max_body) {
    ShippedStack st;
    auto post = [&](size_t size) {
        Request req;
        req.url = st.url("/reports/page/jobs");
        req.method = "POST";
        req.headers = {"Accept: application/json",
                       "Content-Type: application/x-www-form-urlencoded"};
        req.body = "n=1&pad=" + std::string(size - 8, 'x');
        return request(req);
    };
    Response at = post(1024 * 1024);
    BOOST_TEST(at.status == 413, at.summary());
    BOOST_TEST(contains(at.header("content-type"), "application/json"),
               "not asyncpage's answer: " << at.body);
    BOOST_TEST(contains(at.body, "63 KB"), at.body);
    Response over = post(1024 * 1024 + 1);
    BOOST_TEST(over.status == 413, over.summary());
    BOOST_TEST(contains(over.body, "<center>nginx"), "not nginx's answer: " << over.body);
}

// fastcgi_keep_conn on with the upstream's keepalive: many pages, few connections.
BOOST_AUTO_TEST_CASE(connections_are_kept) {
    ShippedStack st;
    for (int i = 0; i < 30; ++i)
        BOOST_TEST_REQUIRE(get(st.url("/reports/page?format=json")).status == 200);
    Metrics m = Metrics::parse(get(st.url("/metrics")).body);
    double requests = m.value("asyncpage_fastcgi_requests_total");
    double connections = m.value("asyncpage_fastcgi_connections_total");
    BOOST_TEST_MESSAGE(requests << " requests on " << connections << " connections");
    BOOST_TEST(requests >= 31);
    BOOST_TEST(connections <= 4, "nginx opened a connection per request");
}

// Each progress event reaches the client through the shipped site as the job
// makes it, not all at once when the stream ends. (nginx 1.22 passed these small
// writes on at once even with `fastcgi_buffering on`: the flag itself is checked
// by timeouts_and_buffering_cover_asyncpage_limits.)
BOOST_AUTO_TEST_CASE(event_stream_is_not_buffered) {
    migrate_test_db();
    ShippedStack st;
    Request create;
    create.url = st.url("/reports/eventsjob/jobs");
    create.method = "POST";
    create.headers = {"Accept: application/json",
                      "Content-Type: application/x-www-form-urlencoded"};
    create.body = "steps=6&step_ms=400";
    Response c = request(create);
    BOOST_TEST_REQUIRE(c.status == 202, c.summary() << " " << c.body);
    std::string id = parse_json(c)["id"];
    std::mutex mu;
    std::vector<double> arrivals;
    auto start = Clock::now();
    Response r = stream(Request{"GET", st.url("/jobs/" + id + "/events"), {}, {}, 30000},
                        [&](std::string_view chunk) {
                            std::lock_guard<std::mutex> lock(mu);
                            for (size_t n = count_of(chunk, "event: progress"); n > 0; --n)
                                arrivals.push_back(seconds_since(start));
                        });
    BOOST_TEST_REQUIRE(r.status == 200, r.summary());
    BOOST_TEST(contains(r.header("content-type"), "text/event-stream"));
    BOOST_TEST_REQUIRE(arrivals.size() >= 4u, arrivals.size() << " progress events");
    double spread = arrivals.back() - arrivals.front();
    BOOST_TEST_MESSAGE("progress events over " << spread << " s");
    BOOST_TEST(spread >= 1.0, "events arrived together (buffered): spread " << spread << " s");
}

// What cannot be waited for in a test (a 60 s long poll, a 1 h job stream): the
// shipped values against asyncpage's own limits.
BOOST_AUTO_TEST_CASE(timeouts_and_buffering_cover_asyncpage_limits) {
    std::string site = read_file(shipped_site());
    std::string root = block(site, "location / ");
    std::string events = block(site, "location ~ ^/jobs/[^/]+/events$");
    // /jobs/ID/wait allows timeout up to 60 s; reports' own budgets are shorter.
    BOOST_TEST(nginx_seconds(directive(root, "fastcgi_read_timeout")) > 60);
    // An event stream lasts as long as the job: job_timeout defaults to 1 h.
    BOOST_TEST(nginx_seconds(directive(events, "fastcgi_read_timeout")) >= 3600);
    BOOST_TEST(directive(events, "fastcgi_buffering") == "off");
    BOOST_TEST(directive(root, "fastcgi_buffering") == "on");
    for (const std::string* loc : {&root, &events}) {
        BOOST_TEST(directive(*loc, "fastcgi_keep_conn") == "on");
        BOOST_TEST(directive(*loc, "include") == "fastcgi_params");
        BOOST_TEST(!contains(*loc, "fastcgi_request_buffering off"));
    }
    BOOST_TEST(directive(site, "client_max_body_size") == "1m");
}

BOOST_AUTO_TEST_SUITE_END()
