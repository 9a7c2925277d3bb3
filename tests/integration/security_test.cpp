// Web security through nginx (README, "Security"): cross-origin requests that
// would change state are refused and change nothing; HTML answers carry the
// content policy; queued jobs per owner are bounded (job_max_queued, 429);
// forged notifications on the jobs channel neither stop a running job nor reach
// its watchers; errors shown to visitors name no server path or address.
#include <boost/test/unit_test.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/fcgi_raw.hpp"
#include "support/own_site.hpp"
#include "support/pg.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;
using nlohmann::json;

namespace {

Request post(const std::string& path, std::vector<std::string> headers,
             const std::string& body = "steps=1&step_ms=0") {
    Request req;
    req.url = path;
    req.method = "POST";
    req.body = body;
    req.headers = std::move(headers);
    req.headers.push_back("Accept: application/json");
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    return req;
}

long long count_jobs(const Stack& s) {
    Pg pg(const_cast<Stack&>(s).server().jobs_dsn());
    return pg.scalar_int("SELECT count(*) FROM asyncpage.jobs");
}

json job_json(Stack& s, const std::string& id) {
    Response r = s.get("/jobs/" + id, {"Accept: application/json"});
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body);
    return parse_json(r);
}

// A server whose jobs stay queued (job_slots = 0) with the given job_max_queued.
ServerOptions queue_only(const std::string& max_queued = "") {
    ServerOptions o;
    o.config = {{"job_slots", "0"}};
    if (!max_queued.empty()) o.config["job_max_queued"] = max_queued;
    return o;
}

std::string raw_post_as(Stack& s, const std::string& user) {
    std::string body = "steps=1&step_ms=0";
    FcgiParamList params = fcgi_request_params("POST", "/reports/job_steps/jobs", body.size());
    params.emplace_back("REMOTE_USER", user);
    params.emplace_back("HTTP_ACCEPT", "application/json");
    params.emplace_back("CONTENT_TYPE", "application/x-www-form-urlencoded");
    RawExchange ex = fcgi_exchange(s.server().socket_path().string(),
                                   fcgi_full_request(1, params, body), 5000, false);
    return fcgi_stdout(ex.received);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(security)

// Go's CrossOriginProtection rule: Sec-Fetch-Site first, else Origin against Host;
// requests with neither (curl) pass; GET and HEAD are never refused.
BOOST_AUTO_TEST_CASE(cross_origin_posts_are_refused_and_store_nothing) {
    Stack s(queue_only());
    std::string self = s.url("");  // http://127.0.0.1:PORT: what a page of the site sends
    const std::vector<std::vector<std::string>> refused = {
        {"Origin: https://evil.example", "Sec-Fetch-Site: cross-site"},
        {"Sec-Fetch-Site: cross-site"},
        {"Sec-Fetch-Site: same-site"},  // another port or subdomain: another origin
        {"Origin: https://evil.example"},
        {"Origin: null"},              // sandboxed frames, data: URLs
        {"Origin: http://127.0.0.2"},  // another host, even on a loopback address
    };
    for (const auto& headers : refused) {
        Response r = s.send(post("/reports/job_steps/jobs", headers));
        BOOST_TEST(r.status == 403, headers[0] << ": " << r.summary() << " " << r.body);
        BOOST_TEST(contains(r.body, "cross-origin"), r.body);
    }
    BOOST_TEST(count_jobs(s) == 0, "a refused post stored a job");
    const std::vector<std::vector<std::string>> allowed = {
        {},  // curl, scripts
        {"Sec-Fetch-Site: same-origin", "Origin: " + self},
        {"Sec-Fetch-Site: none"},  // typed by the user
        {"Origin: " + self},       // a browser without Sec-Fetch-*
    };
    std::string id;
    for (const auto& headers : allowed) {
        Response r = s.send(post("/reports/job_steps/jobs", headers));
        BOOST_TEST_REQUIRE(r.status == 202, r.summary() << " " << r.body);
        id = parse_json(r)["id"];
    }
    BOOST_TEST(count_jobs(s) == 4);
    // Cancelling is state-changing too, by POST or DELETE.
    Request cancel = post("/jobs/" + id + "/cancel", {"Sec-Fetch-Site: cross-site"}, "");
    BOOST_TEST(s.send(cancel).status == 403);
    Request del = post("/jobs/" + id, {"Origin: https://evil.example"}, "");
    del.method = "DELETE";
    BOOST_TEST(s.send(del).status == 403);
    BOOST_TEST(job_json(s, id)["state"] == "queued", "a refused cancel changed the job");
    // Reading is not: a cross-site GET is answered (and carries no credentials' power).
    Response read = s.get("/jobs/" + id, {"Accept: application/json", "Sec-Fetch-Site: cross-site",
                                          "Origin: https://evil.example"});
    BOOST_TEST(read.status == 200);
    // Refusals are logged with why.
    BOOST_TEST(
        wait_until([&] { return contains(s.server().log_tail(200), "refused a cross-origin"); },
                   5s),
        s.server().log_tail());
    // Own pages cancel with Sec-Fetch-Site: same-origin.
    cancel.headers = {"Sec-Fetch-Site: same-origin", "Accept: application/json"};
    BOOST_TEST(s.send(cancel).status == 200);
}

// Every HTML answer (pages, forms, errors) carries the policy; other answers are
// nosniff too.
BOOST_AUTO_TEST_CASE(html_answers_carry_the_content_policy) {
    Stack& s = integration_stack();
    for (const std::string path :
         {"/", "/reports/params", "/reports/trivial?run=1", "/reports/nope", "/jobs/not-an-id"}) {
        Response r = s.get(path, {"Accept: text/html"});
        BOOST_TEST_CONTEXT(path << " " << r.summary()) {
            BOOST_TEST(contains(r.header("content-type"), "text/html"));
            std::string csp = r.header("content-security-policy");
            BOOST_TEST(contains(csp, "default-src 'none'"), csp);
            BOOST_TEST(contains(csp, "script-src 'self'"), csp);
            BOOST_TEST(contains(csp, "frame-ancestors 'none'"), csp);
            BOOST_TEST(!contains(csp, "unsafe-inline"), csp);
            BOOST_TEST(r.header("x-content-type-options") == "nosniff");
            BOOST_TEST(r.header("referrer-policy") == "same-origin");
        }
    }
    Response j = s.get("/reports/trivial?format=json");
    BOOST_TEST(j.header("x-content-type-options") == "nosniff");
}

// job_max_queued per owner: the next is 429 with Retry-After, another owner is
// not affected, and a burst of concurrent posts cannot go past it.
BOOST_AUTO_TEST_CASE(queued_jobs_per_owner_are_bounded) {
    Stack s(queue_only("3"));
    for (int i = 0; i < 3; ++i)
        BOOST_TEST_REQUIRE(s.send(post("/reports/job_steps/jobs", {})).status == 202);
    Response over = s.send(post("/reports/job_steps/jobs", {}));
    BOOST_TEST(over.status == 429, over.summary() << " " << over.body);
    BOOST_TEST(!over.header("retry-after").empty());
    BOOST_TEST(contains(over.body, "job_max_queued"), over.body);
    BOOST_TEST(count_jobs(s) == 3);
    // Other owners have their own allowance; alice's fourth is refused too.
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(contains(raw_post_as(s, "alice"), "Status: 202"));
    BOOST_TEST(contains(raw_post_as(s, "alice"), "Status: 429"));
    // Cancelling a queued job frees a place.
    Pg pg(s.server().jobs_dsn());
    std::string id = pg.scalar(
        "SELECT id::text FROM asyncpage.jobs WHERE owner IS NULL ORDER BY created_at LIMIT 1");
    BOOST_TEST(s.send(post("/jobs/" + id + "/cancel", {}, "")).status == 200);
    BOOST_TEST(s.send(post("/reports/job_steps/jobs", {})).status == 202);
}

BOOST_AUTO_TEST_CASE(a_burst_cannot_exceed_the_quota) {
    Stack s(queue_only("5"));
    std::vector<std::future<long>> burst;
    for (int i = 0; i < 24; ++i)
        burst.push_back(std::async(std::launch::async, [&s] {
            return s.send(post("/reports/job_steps/jobs", {})).status;
        }));
    int accepted = 0, refused = 0;
    for (auto& f : burst) {
        long st = f.get();
        accepted += st == 202;
        refused += st == 429;
    }
    BOOST_TEST_MESSAGE(accepted << " accepted, " << refused << " refused");
    BOOST_TEST(accepted == 5);
    BOOST_TEST(refused == 19);
    BOOST_TEST(count_jobs(s) == 5);
}

BOOST_AUTO_TEST_CASE(default_quota_is_100) {
    Stack s(queue_only());
    for (int i = 0; i < 100; ++i) {
        Response r = s.send(post("/reports/job_steps/jobs", {}));
        BOOST_TEST_REQUIRE(r.status == 202, "job " << i + 1 << ": " << r.summary());
    }
    BOOST_TEST(s.send(post("/reports/job_steps/jobs", {})).status == 429);
    BOOST_TEST(count_jobs(s) == 100);
}

// Any role that can connect may NOTIFY the jobs channel. Forged payloads (a cancel
// with a huge version, nulls, a newline, garbage) must not stop a running job, move
// it to another worker, or reach a watcher: watchers get the job as its table has it.
BOOST_AUTO_TEST_CASE(forged_notifications_change_nothing) {
    ServerOptions o;
    Stack s(o);
    Response c = s.send(post("/reports/job_steps/jobs", {}, "steps=12&step_ms=250"));
    BOOST_TEST_REQUIRE(c.status == 202, c.summary() << " " << c.body);
    std::string id = parse_json(c)["id"];
    Pg pg(s.server().jobs_dsn());
    BOOST_TEST_REQUIRE(wait_until([&] { return job_json(s, id)["state"] == "running"; }, 10s),
                       "never ran");
    std::string runner = pg.scalar("SELECT runner FROM asyncpage.jobs WHERE id = '" + id + "'");
    long long version = job_json(s, id)["version"];
    // Watchers before the forgeries: a long poll past the current version and an
    // event stream.
    auto poll = std::async(std::launch::async, [&] {
        return s.get("/jobs/" + id + "/wait?timeout=20&since=" + std::to_string(version),
                     {"Accept: application/json"}, 30000);
    });
    std::string events;
    auto stream_done = std::async(std::launch::async, [&] {
        return stream(s.request("/jobs/" + id + "/events", 20000),
                      [&](std::string_view chunk) { events.append(chunk); });
    });
    std::this_thread::sleep_for(300ms);  // both registered (no event to wait for)
    const std::vector<std::string> forged = {
        R"({"id":")" + id + R"(","state":"cancelled","version":999999})",
        R"({"id":")" + id + R"(","state":"failed","version":999998,"progress":100})",
        R"({"id":")" + id + R"(","state":null,"version":null,"message":null,"error":null})",
        R"({"id":")" + id + R"(","state":"succeeded\nevent: state","version":1e400})",
        R"({"id":")" + id + R"(","state":"queued","version":-1,"error":{"sqlstate":null}})",
        R"({"id":null})",
        R"({"id":")" + id + R"(")",
        "not json at all\nevent: state\ndata: {}",
        std::string(7000, '['),
        "[]",
    };
    for (const auto& payload : forged)
        pg.exec("SELECT pg_notify('asyncpage_jobs', $forged$" + payload + "$forged$)");
    Response answered = poll.get();
    BOOST_TEST_REQUIRE(answered.status == 200, answered.summary() << " " << answered.body);
    json seen = parse_json(answered);
    BOOST_TEST_MESSAGE("long poll answered: " << answered.body);
    BOOST_TEST(seen["version"].get<long long>() < 999998, "a forged version reached a watcher");
    BOOST_TEST((seen["state"] == "running" || seen["state"] == "succeeded"), answered.body);
    Response streamed = stream_done.get();
    BOOST_TEST(streamed.status == 200);
    BOOST_TEST(!contains(events, "999999"), events);
    BOOST_TEST(!contains(events, "cancelled"), events);
    BOOST_TEST(!contains(events, "\"failed"), events);
    // The job ran on to the end on the same worker.
    json done = job_json(s, id);
    for (auto start = Clock::now(); done["state"] == "running" && seconds_since(start) < 20;) {
        Response w = s.get("/jobs/" + id + "/wait?timeout=5&since=" +
                               std::to_string(done["version"].get<long long>()),
                           {"Accept: application/json"}, 10000);
        done = parse_json(w);
    }
    BOOST_TEST(done["state"] == "succeeded", done.dump());
    BOOST_TEST(done["progress"] == 100);
    BOOST_TEST(pg.scalar("SELECT runner FROM asyncpage.jobs WHERE id = '" + id + "'") == runner,
               "the job moved to another worker");
    // The stream ended with the true final state.
    auto last_data = events.rfind("data: ");
    BOOST_TEST_REQUIRE(last_data != std::string::npos, events);
    json last =
        json::parse(events.substr(last_data + 6, events.find('\n', last_data) - last_data - 6));
    BOOST_TEST(last["state"] == "succeeded", events);
    BOOST_TEST(s.get("/healthz").status == 200);
    BOOST_TEST(contains(s.server().log_tail(400), "ignoring a notification"));
}

// The index names a broken report by its name and line, never by the server's path.
BOOST_AUTO_TEST_CASE(broken_reports_on_the_index_name_no_path) {
    own_site::ReportDir reports(own_site::Reports{
        {"fine", "-- section: a\nSELECT 1 AS a;\n"},
        {"broken_one", "-- title: Broken\n-- param: x nosuchtype\n-- section: a\nSELECT 1;\n"}});
    ServerOptions o;
    o.reports_dir = reports.path();
    Stack s(o);
    Response r = s.get("/");
    BOOST_TEST_REQUIRE(r.status == 200);
    BOOST_TEST(contains(r.body, "broken_one"), r.body);
    BOOST_TEST(!contains(r.body, reports.path().string()), "the server path is shown: " << r.body);
    BOOST_TEST(!contains(r.body, ".sql"), r.body);
}

BOOST_AUTO_TEST_SUITE_END()
