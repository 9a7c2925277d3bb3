// Background jobs through nginx (DESIGN §3-§4): creating, following (job JSON,
// long poll, event stream), results in every format, cancelling in PostgreSQL,
// failures, ownership, retention, restarts and a killed worker. Each server has
// a jobs database of its own (support::JobsDb), so no other server claims its jobs.
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/fcgi_raw.hpp"
#include "support/pg.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;
using nlohmann::json;

namespace {

const std::vector<std::string> kJson = {"Accept: application/json"};

// For Stack::send, which takes a path.
Request to(const std::string& path, const std::string& method = "GET", long timeout_ms = 30000) {
    Request req;
    req.url = path;
    req.method = method;
    req.timeout_ms = timeout_ms;
    return req;
}

Response post_job(Stack& s, const std::string& report, const std::string& form,
                  std::vector<std::string> headers = kJson) {
    Request req = to("/reports/" + report + "/jobs", "POST");
    req.body = form;
    req.headers = std::move(headers);
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    return s.send(req);
}

json create_job(Stack& s, const std::string& report, const std::string& form) {
    Response r = post_job(s, report, form);
    BOOST_TEST_REQUIRE(r.status == 202, r.summary() << " " << r.body);
    json j = parse_json(r);
    BOOST_TEST(r.header("Location") == "/jobs/" + j["id"].get<std::string>());
    return j;
}

json job(Stack& s, const std::string& id) {
    Response r = s.get("/jobs/" + id, kJson);
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body);
    return parse_json(r);
}

// Follows the job with long polls until `pred` holds (or the time is up).
json wait_for(Stack& s, const std::string& id, const std::function<bool(const json&)>& pred,
              double seconds = 20) {
    json j = job(s, id);
    auto start = Clock::now();
    while (!pred(j) && seconds_since(start) < seconds) {
        Response r = s.get("/jobs/" + id + "/wait?timeout=5&since=" +
                               std::to_string(j["version"].get<long long>()),
                           kJson, 10000);
        BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body);
        j = parse_json(r);
    }
    return j;
}

bool is_final(const json& j) {
    auto st = j["state"].get<std::string>();
    return st == "succeeded" || st == "failed" || st == "cancelled";
}

json wait_final(Stack& s, const std::string& id, double seconds = 20) {
    json j = wait_for(s, id, is_final, seconds);
    BOOST_TEST_REQUIRE(is_final(j), "job did not finish: " << j.dump());
    return j;
}

long long count_jobs(const std::string& jobs_dsn) {
    Pg pg(jobs_dsn);
    return pg.scalar_int("SELECT count(*) FROM asyncpage.jobs");
}

// A raw FastCGI request with REMOTE_USER (as nginx sends it after auth_basic).
std::string raw_as_user(Stack& s, const std::string& method, const std::string& uri,
                        const std::string& user, const std::string& body = "") {
    FcgiParamList params = fcgi_request_params(method, uri, body.size());
    params.emplace_back("REMOTE_USER", user);
    params.emplace_back("HTTP_ACCEPT", "application/json");
    // Writing is not shut down: like nginx, the peer stays until the answer (a held
    // request, such as a long poll, would see the EOF as the client leaving).
    RawExchange ex = fcgi_exchange(s.server().socket_path().string(),
                                   fcgi_full_request(1, params, body), 5000, false);
    return fcgi_stdout(ex.received);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(jobs)

BOOST_AUTO_TEST_CASE(lifecycle_with_progress_and_results_in_every_format) {
    // A server of its own: on the shared one, jobs of earlier cases may still end
    // while this one runs and move the counter checked at the end.
    Stack s{ServerOptions{}};
    double before = s.metrics().value("asyncpage_jobs_total", {{"state", "succeeded"}});
    json created = create_job(s, "job_steps", "steps=4&step_ms=250&label=a%2Cb");
    BOOST_TEST(created["state"] == "queued");
    BOOST_TEST(created["version"].get<long long>() >= 1);
    std::string id = created["id"];
    BOOST_TEST(id.size() == 36u);
    BOOST_TEST(id[14] == '4', "UUID v4: " << id);

    json done = wait_final(s, id);
    BOOST_TEST_MESSAGE("final: " << done.dump());
    BOOST_TEST(done["state"] == "succeeded");
    BOOST_TEST(done["progress"] == 100);
    BOOST_TEST(done["message"] == "step 4 of 4");
    BOOST_TEST(done["error"].is_null());
    BOOST_TEST(!done["started_at"].is_null());
    BOOST_TEST(!done["finished_at"].is_null());
    BOOST_TEST(done["version"].get<long long>() > created["version"].get<long long>() + 3,
               "queued → running → 4 progress steps → succeeded");

    Response rj = s.get("/jobs/" + id + "/result?format=json");
    BOOST_TEST_REQUIRE(rj.status == 200, rj.summary());
    json result = parse_json(rj);
    BOOST_TEST(result["report"] == "job_steps");
    BOOST_TEST_REQUIRE(result["sections"].size() == 2u);
    BOOST_TEST(result["sections"][0]["name"] == "steps");
    BOOST_TEST(result["sections"][0]["status"] == "ok");
    BOOST_TEST(result["sections"][0]["columns"][0]["type"] == "int4");
    BOOST_TEST(result["sections"][0]["rows"].size() == 4u);
    BOOST_TEST(result["sections"][0]["rows"][3][1] == 16, "int4 stays a number");
    BOOST_TEST(result["sections"][0]["rows"][0][2] == "a,b");
    BOOST_TEST(result["sections"][1]["rows"][0][0] == 4);

    Response csv = s.get("/jobs/" + id + "/result?format=csv&section=steps");
    BOOST_TEST(csv.status == 200);
    BOOST_TEST(csv.header("Content-Type") == "text/csv; charset=utf-8");
    BOOST_TEST(
        csv.body ==
        "step,square,label\r\n1,1,\"a,b\"\r\n2,4,\"a,b\"\r\n3,9,\"a,b\"\r\n4,16,\"a,b\"\r\n");
    Response nosection = s.get("/jobs/" + id + "/result?format=csv");
    BOOST_TEST(nosection.status == 400);
    BOOST_TEST(contains(nosection.body, "steps, summary"));

    Response html = s.get("/jobs/" + id + "/result?format=html");
    BOOST_TEST(html.status == 200);
    BOOST_TEST(contains(html.body, "<td class=\"n\">16</td>"), html.body.substr(0, 300));
    Response screen = s.get("/jobs/" + id, {"Accept: text/html"});
    BOOST_TEST(screen.status == 200);
    BOOST_TEST(contains(screen.body, "id=\"job\""));
    BOOST_TEST(contains(screen.body, "<td class=\"n\">16</td>"), "the result is shown in place");
    BOOST_TEST(!contains(screen.body, "http-equiv=\"refresh\""), "no refresh once finished");
    // The runner counts the job once it has stored the end, which clients may see first.
    double succeeded = before;
    wait_until(
        [&] {
            succeeded = s.metrics().value("asyncpage_jobs_total", {{"state", "succeeded"}});
            return succeeded != before;
        },
        2s);
    BOOST_TEST(succeeded == before + 1);
}

BOOST_AUTO_TEST_CASE(browser_form_post_is_redirected_and_bad_params_store_nothing) {
    Stack& s = integration_stack();
    Response form = post_job(s, "job_steps", "steps=1&step_ms=0",
                             {"Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"});
    BOOST_TEST(form.status == 303, form.summary());
    BOOST_TEST(form.header("Location").rfind("/jobs/", 0) == 0u, form.header("Location"));

    long long jobs_before = count_jobs(s.server().jobs_dsn());
    Response bad = post_job(s, "job_steps", "steps=abc");
    BOOST_TEST(bad.status == 400, bad.summary());
    BOOST_TEST(parse_json(bad)["error"]["param"] == "steps");
    Response too_many = post_job(s, "job_steps", "steps=100000");
    BOOST_TEST(too_many.status == 400);
    Response bad_html = post_job(s, "job_steps", "step_ms=-1", {"Accept: text/html"});
    BOOST_TEST(bad_html.status == 400);
    BOOST_TEST(contains(bad_html.body, "step_ms"), "the form names the parameter");
    Response unknown = post_job(s, "no_such_report", "");
    BOOST_TEST(unknown.status == 404);
    Response get = s.get("/reports/job_steps/jobs");
    BOOST_TEST(get.status == 405);
    BOOST_TEST(get.header("Allow") == "POST");
    Response big = post_job(s, "job_steps", "label=" + std::string(2000, 'x'));
    BOOST_TEST(big.status == 413, "over the stack's max_body (1KB): " << big.summary());
    BOOST_TEST(count_jobs(s.server().jobs_dsn()) == jobs_before, "a refused job stores nothing");

    // Any report can run as a job; a job report's page only shows the form.
    json any = create_job(s, "trivial", "");
    BOOST_TEST(wait_final(s, any["id"])["state"] == "succeeded");
    Response page = s.get("/reports/job_steps?steps=2&format=json");
    BOOST_TEST(page.status == 400);
    BOOST_TEST(contains(page.body, "POST /reports/job_steps/jobs"));
}

BOOST_AUTO_TEST_CASE(long_poll_answers_on_the_first_change_or_at_its_timeout) {
    Stack& s = integration_stack();
    json created = create_job(s, "job_steps", "steps=3&step_ms=800");
    std::string id = created["id"];
    json running = wait_for(s, id, [](const json& j) { return j["progress"].is_number(); });
    long long v = running["version"];
    Response next = s.get("/jobs/" + id + "/wait?timeout=10&since=" + std::to_string(v), kJson);
    BOOST_TEST_MESSAGE("wait since " << v << ": " << next.summary() << " " << next.body);
    BOOST_TEST(next.status == 200);
    BOOST_TEST(parse_json(next)["version"].get<long long>() > v);
    BOOST_TEST(next.seconds < 2.0, "answered on the next step (0.8 s), not at the timeout");

    Response idle = s.get("/jobs/" + id + "/wait?timeout=1&since=999999", kJson);
    BOOST_TEST(idle.status == 200);
    BOOST_TEST(idle.seconds >= 0.9);
    BOOST_TEST(idle.seconds < 1.5);
    BOOST_TEST(parse_json(idle)["id"] == id);
    Response bad = s.get("/jobs/" + id + "/wait?since=x", kJson);
    BOOST_TEST(bad.status == 400);
    wait_final(s, id);
}

BOOST_AUTO_TEST_CASE(event_stream_sends_each_change_in_order_and_ends) {
    Stack& s = integration_stack();
    // 5 steps of 300 ms: the changes are spread over 1.5 s, and each must reach the
    // client when it happens, not in one piece when the stream ends.
    json created = create_job(s, "job_steps", "steps=5&step_ms=300");
    std::string id = created["id"];
    Request req = s.request("/jobs/" + id + "/events", 15000);
    std::string body, pending;
    std::vector<double> arrivals;  // seconds since the request, one per "data: " line
    auto start = Clock::now();
    Response r = stream(req, [&](std::string_view chunk) {
        body.append(chunk);
        pending.append(chunk);
        for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
            if (pending.rfind("data: ", 0) == 0) arrivals.push_back(seconds_since(start));
            pending.erase(0, nl + 1);
        }
    });
    BOOST_TEST_MESSAGE("events: " << r.summary() << "; data lines at " << [&] {
        std::ostringstream out;
        for (double t : arrivals)
            out << t << " ";
        return out.str();
    }());
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.header("Content-Type") == "text/event-stream; charset=utf-8");
    BOOST_TEST(r.curl_code == 0, "the stream ends by itself after the final state");
    std::vector<std::pair<std::string, json>> events;
    std::string type;
    std::istringstream lines(body);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("event: ", 0) == 0) type = line.substr(7);
        if (line.rfind("data: ", 0) == 0) events.emplace_back(type, json::parse(line.substr(6)));
    }
    BOOST_TEST_REQUIRE(events.size() >= 3u, body);
    BOOST_TEST_REQUIRE(arrivals.size() == events.size());
    // Buffered delivery would bring every event within a few milliseconds of the last.
    BOOST_TEST(arrivals.back() - arrivals.front() >= 0.6,
               "the events arrived together, not as the job moved");
    long long last = 0, last_progress = -1;
    int progress_events = 0;
    for (auto& [t, j] : events) {
        BOOST_TEST(j["version"].get<long long>() > last, "versions grow: " << body);
        last = j["version"];
        if (j["progress"].is_number()) {
            BOOST_TEST(j["progress"].get<long long>() >= last_progress);
            last_progress = j["progress"];
        }
        if (t == "progress") ++progress_events;
        BOOST_TEST((t == "progress" || t == "state"));
    }
    BOOST_TEST(progress_events >= 2, body);
    BOOST_TEST(events.back().first == "state");
    BOOST_TEST(events.back().second["state"] == "succeeded");
}

BOOST_AUTO_TEST_CASE(cancel_stops_the_query_in_postgresql) {
    Stack& s = integration_stack();
    Pg pg;
    json created = create_job(s, "job_cancel", "steps=60");
    std::string id = created["id"];
    wait_for(s, id, [](const json& j) { return j["progress"].is_number(); });
    BOOST_TEST_REQUIRE(pg.count_active(s.server().application_name(), "%job_cancel_probe%") == 1);
    Request del = to("/jobs/" + id, "DELETE");
    del.headers = kJson;
    Response r = s.send(del);
    BOOST_TEST(r.status == 200, r.summary() << " " << r.body);
    BOOST_TEST(parse_json(r)["state"] == "cancelled");
    auto start = Clock::now();
    bool stopped = wait_until(
        [&] { return pg.count_active(s.server().application_name(), "%job_cancel_probe%") == 0; },
        3s);
    double took = seconds_since(start);
    BOOST_TEST_MESSAGE("backend stopped " << took << " s after the cancel answer");
    BOOST_TEST(stopped);
    BOOST_TEST(took < 1.0);
    // The runner stores what ran when its query has ended: then its end must not
    // have overwritten the cancel.
    bool stored =
        wait_until([&] { return s.get("/jobs/" + id + "/result?format=json").status == 200; }, 3s);
    BOOST_TEST(stored, "no result stored 3 s after the cancel");
    json after = job(s, id);
    BOOST_TEST(after["state"] == "cancelled", "the runner's end does not overwrite the cancel");
    Response again = s.send(del);
    BOOST_TEST(again.status == 409, "already cancelled: " << again.summary());
    Response result = s.get("/jobs/" + id + "/result?format=json");
    BOOST_TEST(result.status == 200, result.summary());
    BOOST_TEST(parse_json(result)["sections"][0]["status"] == "cancelled");
}

BOOST_AUTO_TEST_CASE(failed_job_carries_postgresql_message_and_sqlstate) {
    Stack& s = integration_stack();
    json created = create_job(s, "job_fail", "");
    json done = wait_final(s, created["id"]);
    BOOST_TEST_MESSAGE("failed job: " << done.dump());
    BOOST_TEST(done["state"] == "failed");
    BOOST_TEST(done["error"]["sqlstate"] == "22012");
    BOOST_TEST(contains(done["error"]["message"].get<std::string>(), "division by zero"));
    BOOST_TEST(done["message"] == "about to fail");
    json result =
        parse_json(s.get("/jobs/" + done["id"].get<std::string>() + "/result?format=json"));
    BOOST_TEST(result["status"] == "partial");
    BOOST_TEST(result["sections"][0]["status"] == "ok");
    BOOST_TEST(result["sections"][1]["status"] == "error");
    BOOST_TEST(result["sections"][1]["error"]["sqlstate"] == "22012");
}

BOOST_AUTO_TEST_CASE(unknown_and_malformed_ids_are_404) {
    Stack& s = integration_stack();
    for (std::string path :
         {"/jobs/nope", "/jobs/12345678-1234-1234-1234-12345678901",
          "/jobs/12345678-1234-4234-8234-123456789012",
          "/jobs/12345678-1234-4234-8234-123456789012/wait",
          "/jobs/12345678-1234-4234-8234-123456789012/events",
          "/jobs/12345678-1234-4234-8234-123456789012/result", "/jobs/'%3B--/result", "/jobs/"}) {
        Response r = s.get(path, kJson, 5000);
        BOOST_TEST(r.status == 404, path << ": " << r.summary());
    }
    json created = create_job(s, "job_steps", "steps=1&step_ms=0");
    Response other = s.get("/jobs/" + created["id"].get<std::string>() + "/nothing");
    BOOST_TEST(other.status == 404);
    wait_final(s, created["id"]);
}

BOOST_AUTO_TEST_CASE(another_users_job_is_404) {
    Stack& s = integration_stack();
    // Running (1000 steps of 20 ms, each a change that wakes the job's waiters) while
    // bob tries it: an owner-blind cancel would stop it, and an owner-blind wait or
    // stream would answer 200, at once or on the next change.
    std::string out =
        raw_as_user(s, "POST", "/reports/job_steps/jobs", "alice", "steps=1000&step_ms=20");
    BOOST_TEST_REQUIRE(contains(out, "Status: 202"), out);
    json created = json::parse(out.substr(out.find("\r\n\r\n") + 4));
    std::string id = created["id"];
    auto state_for_alice = [&] {
        std::string a = raw_as_user(s, "GET", "/jobs/" + id, "alice");
        BOOST_TEST_REQUIRE(contains(a, "Status: 200"), a);
        return json::parse(a.substr(a.find("\r\n\r\n") + 4))["state"].get<std::string>();
    };
    BOOST_TEST_REQUIRE(wait_until([&] { return state_for_alice() == "running"; }, 10s),
                       "alice's job never ran");
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/jobs/" + id},
             {"GET", "/jobs/" + id + "/wait?timeout=1&since=0"},
             {"GET", "/jobs/" + id + "/events"},
             {"GET", "/jobs/" + id + "/result"},
             {"DELETE", "/jobs/" + id},
             {"POST", "/jobs/" + id + "/cancel"}}) {
        std::string bob = raw_as_user(s, method, path, "bob");
        BOOST_TEST(contains(bob, "Status: 404"), "bob's " << method << " " << path << ": " << bob);
    }
    BOOST_TEST(state_for_alice() == "running", "bob's requests changed alice's job");
    Response anonymous = s.get("/jobs/" + id, kJson);
    BOOST_TEST(anonymous.status == 404, "no REMOTE_USER is not alice");
    BOOST_TEST(contains(raw_as_user(s, "DELETE", "/jobs/" + id, "alice"), "Status: 200"),
               "alice cancels her own job");
    BOOST_TEST(state_for_alice() == "cancelled");
    // A job created without REMOTE_USER is visible to anyone with its id.
    json open = create_job(s, "job_steps", "steps=1&step_ms=0");
    BOOST_TEST(contains(raw_as_user(s, "GET", "/jobs/" + open["id"].get<std::string>(), "bob"),
                        "Status: 200"));
}

BOOST_AUTO_TEST_CASE(queued_job_cancelled_before_it_ran_and_retention) {
    // job_slots = 0: nothing is claimed, so jobs stay queued.
    ServerOptions o;
    o.config = {{"job_slots", "0"}, {"job_retention", "\"1s\""}};
    Stack s(o);
    json queued = create_job(s, "job_steps", "steps=1");
    std::string id = queued["id"];
    std::this_thread::sleep_for(1500ms);
    BOOST_TEST(job(s, id)["state"] == "queued", "not purged: retention counts from the end");
    BOOST_TEST(s.get("/jobs/" + id + "/result", kJson).status == 409);
    Request cancel = to("/jobs/" + id + "/cancel", "POST");
    cancel.headers = {"Accept: text/html"};
    Response r = s.send(cancel);
    BOOST_TEST(r.status == 303, "a form's cancel goes back to the wait screen: " << r.summary());
    json cancelled = job(s, id);
    BOOST_TEST(cancelled["state"] == "cancelled");
    BOOST_TEST(s.get("/jobs/" + id + "/result", kJson).status == 404, "it never ran");
    // Retention 1 s: the finished job and its results are deleted soon after.
    bool purged = wait_until([&] { return s.get("/jobs/" + id, kJson).status == 404; }, 5s);
    BOOST_TEST(purged, "deleted after job_retention");
}

BOOST_AUTO_TEST_CASE(jobs_survive_a_restart_of_the_server) {
    JobsDb db;
    auto options = [&](const char* slots) {
        ServerOptions o;
        o.config = {{"jobs_dsn", toml_string(db.dsn())}, {"job_slots", slots}};
        return o;
    };
    std::string done_id, queued_id;
    {
        Stack a(options("4"));
        done_id = create_job(a, "job_steps", "steps=2&step_ms=0")["id"];
        BOOST_TEST(wait_final(a, done_id)["state"] == "succeeded");
    }
    {
        Stack b(options("0"));
        queued_id = create_job(b, "job_steps", "steps=2&step_ms=0")["id"];
        BOOST_TEST(job(b, queued_id)["state"] == "queued");
    }
    Stack c(options("4"));
    json later = wait_final(c, queued_id);
    BOOST_TEST(later["state"] == "succeeded", "the queued job ran after the restart");
    Response kept = c.get("/jobs/" + done_id + "/result?format=json");
    BOOST_TEST(kept.status == 200);
    BOOST_TEST(parse_json(kept)["sections"][0]["rows"].size() == 2u);
}

BOOST_AUTO_TEST_CASE(stopping_the_server_puts_a_running_job_back_in_the_queue) {
    JobsDb db;
    ServerOptions o;
    o.config = {{"jobs_dsn", toml_string(db.dsn())}};
    std::string id, backends;
    {
        Stack a(o);
        backends = a.server().application_name();
        id = create_job(a, "job_cancel", "steps=3")["id"];
        wait_for(a, id, [](const json& j) { return j["progress"].is_number(); });
        auto start = Clock::now();
        BOOST_TEST(a.server().stop(10s).value_or(-1) == 0);
        BOOST_TEST_MESSAGE("server with a running job stopped in " << seconds_since(start) << " s");
    }
    Pg pg(db.dsn());
    BOOST_TEST(pg.scalar("SELECT state FROM asyncpage.jobs WHERE id = '" + id + "'") == "queued",
               "a drained worker queues its job again instead of losing it");
    // The cancel was sent before the exit; the backend ends its query soon after.
    BOOST_TEST(wait_until([&] { return pg.count_active(backends, "%job_cancel_probe%") == 0; }, 3s),
               "its query still runs 3 s after the server stopped");
    Stack b(o);
    json done = wait_final(b, id, 20);
    BOOST_TEST(done["state"] == "succeeded", "it starts over on the next server: " << done.dump());
    BOOST_TEST(done["attempt"] == 1, "a drain is not a failed attempt: " << done.dump());
}

BOOST_AUTO_TEST_CASE(a_change_wakes_the_waiters_of_every_server) {
    // Two servers on one jobs database: B runs no jobs, A runs them. A long poll
    // held by B is answered when A's job moves: B heard A's NOTIFY.
    JobsDb db;
    ServerOptions runner_opts, follower_opts;
    runner_opts.config = {{"jobs_dsn", toml_string(db.dsn())}};
    follower_opts.config = {{"jobs_dsn", toml_string(db.dsn())}, {"job_slots", "0"}};
    Stack a(runner_opts);
    Stack b(follower_opts);
    std::string id = create_job(b, "job_steps", "steps=4&step_ms=700")["id"];
    json running = wait_for(b, id, [](const json& j) { return j["progress"].is_number(); });
    long long v = running["version"];
    Response next = b.get("/jobs/" + id + "/wait?timeout=10&since=" + std::to_string(v), kJson);
    BOOST_TEST_MESSAGE("B's long poll on A's job: " << next.summary());
    BOOST_TEST(next.status == 200);
    BOOST_TEST(parse_json(next)["version"].get<long long>() > v);
    BOOST_TEST(next.seconds < 2.0);
    BOOST_TEST(b.metrics().value("asyncpage_jobs_total", {{"state", "claimed"}}) == 0.0,
               "B claimed nothing (job_slots = 0)");
    BOOST_TEST(wait_final(b, id)["state"] == "succeeded");
}

BOOST_AUTO_TEST_CASE(job_timeout_fails_the_job_and_cancels_its_query) {
    ServerOptions o;
    o.config = {{"job_timeout", "\"1s\""}};
    Stack s(o);
    Pg pg;
    json created = create_job(s, "job_cancel", "steps=10");
    json done = wait_final(s, created["id"], 10);
    BOOST_TEST_MESSAGE("after job_timeout: " << done.dump());
    BOOST_TEST(done["state"] == "failed");
    BOOST_TEST(done["error"]["sqlstate"] == "57014");
    BOOST_TEST(contains(done["error"]["message"].get<std::string>(), "job_timeout"));
    BOOST_TEST(wait_until(
        [&] { return pg.count_active(s.server().application_name(), "%job_cancel_probe%") == 0; },
        2s));
}

BOOST_AUTO_TEST_CASE(bursts_of_progress_notices_are_coalesced) {
    ServerOptions o;
    Stack s(o);
    json created = create_job(s, "job_steps", "steps=1000&step_ms=0");
    json done = wait_final(s, created["id"]);
    BOOST_TEST(done["state"] == "succeeded");
    BOOST_TEST(done["message"] == "step 1000 of 1000", "the last notice is the one recorded");
    Metrics m = s.metrics();
    double notices = m.value("asyncpage_job_progress_notices_total");
    double writes = m.value("asyncpage_job_progress_writes_total");
    BOOST_TEST_MESSAGE("1000 notices became " << writes << " writes");
    BOOST_TEST(notices == 1000.0);
    BOOST_TEST(writes < notices / 2, "a burst is written once per round trip, not per notice");
    BOOST_TEST(writes >= 1.0);
}

// A killed worker's job is never left running: the supervisor releases its lease
// and the job runs again at once (job_leases_test.cpp follows such jobs to the end).
BOOST_AUTO_TEST_CASE(killed_worker_job_is_running_again_at_once) {
    ServerOptions o;
    o.workers = 1;
    Stack s(o);
    json created = create_job(s, "job_cancel", "steps=120");
    std::string id = created["id"];
    wait_for(s, id, [](const json& j) { return j["progress"].is_number(); });
    std::vector<pid_t> workers = s.server().wait_workers(1);
    auto start = Clock::now();
    ::kill(workers[0], SIGKILL);
    json again = wait_for(
        s, id, [](const json& j) { return j["state"] == "running" && j["attempt"] == 2; }, 10);
    double took = seconds_since(start);
    BOOST_TEST_MESSAGE("job after kill -9: " << again.dump() << " after " << took << " s");
    BOOST_TEST(again["state"] == "running");
    BOOST_TEST(again["attempt"] == 2);
    BOOST_TEST(took < 5.0);
    Response cancelled = s.send(to("/jobs/" + id, "DELETE"));
    BOOST_TEST(cancelled.status == 200, cancelled.summary());
    BOOST_TEST(wait_final(s, id)["state"] == "cancelled");
}

BOOST_AUTO_TEST_SUITE_END()
