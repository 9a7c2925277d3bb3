// The nginx site users deploy (nginx/asyncpage.conf), run for real in front of
// `asyncpage serve` with only its socket and port substituted: pages route with
// the stock fastcgi_params, client_max_body_size equals asyncpage's default
// max_body, connections are kept (fastcgi_keep_conn), job event streams arrive
// event by event (buffering off), and its timeouts cover what asyncpage allows.
#include <boost/test/unit_test.hpp>
#include <mutex>
#include <regex>
#include <sstream>

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

// A server (default max_body, one worker) behind the shipped site, with a
// deployment's own lines when given (an auth recipe).
struct ShippedStack {
    ReportDir reports{Reports{{"page", page_report}, {"eventsjob", events_job}}};
    Server server;
    ShippedNginx nginx;
    explicit ShippedStack(ShippedNginx::Adjust adjust = {})
        : server(options(reports)), nginx(server.socket_path(), std::move(adjust)) {}
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

// Every `from` in `text` becomes `to`; how many there were.
int replace_all(std::string& text, const std::string& from, const std::string& to) {
    int n = 0;
    for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
        text.replace(pos, from.size(), to);
        pos += to.size();
        ++n;
    }
    return n;
}

// An auth recipe (nginx/NAME.conf) included after every `fastcgi_param REMOTE_USER "";`
// of the site, as README's deployment section says to.
void include_recipe(std::string& site, const std::string& recipe_text,
                    const std::filesystem::path& dir, const std::string& name) {
    write_file(dir / (name + ".conf"), recipe_text);
    const std::string blank = "fastcgi_param REMOTE_USER \"\";";
    int n = replace_all(site, blank, blank + " include " + (dir / (name + ".conf")).string() + ";");
    if (n < 3) throw std::runtime_error("the site has " + std::to_string(n) + " REMOTE_USER lines");
}

// Basic credentials as curl -u sends them.
std::string basic(const std::string& user_colon_password) {
    static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::string& in = user_colon_password;
    std::string out;
    for (size_t i = 0; i < in.size(); i += 3) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
        out += b64[(v >> 18) & 63];
        out += b64[(v >> 12) & 63];
        out += i + 1 < in.size() ? b64[(v >> 6) & 63] : '=';
        out += i + 2 < in.size() ? b64[v & 63] : '=';
    }
    return "Authorization: Basic " + out;
}

// Creates a job through the site with `headers` (credentials); its id, or "" with
// the status in `status`.
std::string post_job(ShippedStack& st, std::vector<std::string> headers, long* status = nullptr) {
    Request create;
    create.url = st.url("/reports/eventsjob/jobs");
    create.method = "POST";
    create.headers = std::move(headers);
    create.headers.push_back("Accept: application/json");
    create.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    create.body = "steps=1&step_ms=0";
    Response c = request(create);
    if (status) *status = c.status;
    if (c.status != 202) return {};
    return parse_json(c)["id"];
}

long job_status(ShippedStack& st, const std::string& id, std::vector<std::string> headers) {
    headers.push_back("Accept: application/json");
    return get(st.url("/jobs/" + id), headers).status;
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

// Debian's fastcgi_params passes `REMOTE_USER $remote_user`, which nginx fills
// from any Authorization: Basic header even where nothing checks it. Through the
// shipped site (no auth configured) such a header makes no job anyone's.
BOOST_AUTO_TEST_CASE(a_client_chosen_basic_user_owns_no_job) {
    migrate_test_db();
    ShippedStack st;
    long status = 0;
    std::string id = post_job(st, {basic("alice:x")}, &status);
    BOOST_TEST_REQUIRE(status == 202, "creating: " << status);
    // Had alice's header made the job hers, anyone else would get 404.
    BOOST_TEST(job_status(st, id, {}) == 200, "the job became alice's");
    BOOST_TEST(job_status(st, id, {basic("bob:y")}) == 200, "the job became alice's");
    BOOST_TEST(job_status(st, id, {basic("alice:x")}) == 200);
}

// README's auth_basic recipe (nginx/auth_basic.conf) in the shipped site: the
// user nginx verified owns the job; a wrong password gets nowhere.
BOOST_AUTO_TEST_CASE(auth_basic_recipe_passes_the_verified_user) {
    migrate_test_db();
    ShippedStack st([](std::string& site, std::string&, const std::filesystem::path& dir) {
        // nginx reads {PLAIN} entries too: no htpasswd tool needed in the test.
        write_file(dir / "htpasswd", "alice:{PLAIN}secret\nbob:{PLAIN}hunter2\n");
        std::string recipe =
            read_file(std::filesystem::path(ASYNCPAGE_SOURCE_DIR) / "nginx" / "auth_basic.conf");
        if (replace_all(recipe, "auth_basic_user_file /etc/nginx/asyncpage.htpasswd;",
                        "auth_basic_user_file " + (dir / "htpasswd").string() + ";") != 1)
            throw std::runtime_error("nginx/auth_basic.conf: no htpasswd path to substitute");
        include_recipe(site, recipe, dir, "auth_basic");
    });
    long status = 0;
    post_job(st, {}, &status);
    BOOST_TEST(status == 401, "no credentials: " << status);
    post_job(st, {basic("alice:wrong")}, &status);
    BOOST_TEST(status == 401, "a wrong password: " << status);
    std::string id = post_job(st, {basic("alice:secret")}, &status);
    BOOST_TEST_REQUIRE(status == 202, "alice: " << status);
    BOOST_TEST(job_status(st, id, {basic("alice:secret")}) == 200);
    BOOST_TEST(job_status(st, id, {basic("bob:hunter2")}) == 404, "bob sees alice's job");
}

// README's auth_request recipe (nginx/auth_request.conf, with the internal location
// its comment gives) against a stand-in SSO service: the user the service names
// owns the job, whatever Authorization header the client adds.
BOOST_AUTO_TEST_CASE(auth_request_recipe_passes_the_sso_user) {
    migrate_test_db();
    ShippedStack st([](std::string& site, std::string& http, const std::filesystem::path& dir) {
        std::string recipe =
            read_file(std::filesystem::path(ASYNCPAGE_SOURCE_DIR) / "nginx" / "auth_request.conf");
        // The internal location, as the recipe's comment gives it, uncommented.
        std::string location;
        std::istringstream lines(recipe);
        bool in = false;
        for (std::string line; std::getline(lines, line);) {
            if (line.starts_with("#   location = /_asyncpage_auth")) in = true;
            if (in) location += line.substr(std::min<size_t>(line.size(), 1)) + "\n";
            if (in && line == "#   }") break;
        }
        std::string sso = "http://unix:" + (dir / "sso.sock").string() + ":/verify";
        if (replace_all(location, "http://127.0.0.1:4180/oauth2/auth", sso) != 1)
            throw std::runtime_error("nginx/auth_request.conf: no internal location to use");
        include_recipe(site, recipe, dir, "auth_request");
        size_t end = site.rfind('}');
        site.insert(end, location);
        // The stand-in SSO: a session cookie names the user, like oauth2-proxy's
        // answer header; no cookie is 401.
        http += "    server {\n        listen unix:" + (dir / "sso.sock").string() +
                ";\n        location /verify {\n"
                "            if ($http_cookie ~ \"sso=(\\w+)\") {\n"
                "                add_header X-Auth-Request-User $1;\n"
                "                return 200;\n            }\n"
                "            return 401;\n        }\n    }\n";
    });
    long status = 0;
    post_job(st, {}, &status);
    BOOST_TEST(status == 401, "no session: " << status);
    std::string id = post_job(st, {"Cookie: sso=carol", basic("alice:x")}, &status);
    BOOST_TEST_REQUIRE(status == 202, "carol: " << status);
    BOOST_TEST(job_status(st, id, {"Cookie: sso=carol"}) == 200);
    BOOST_TEST(job_status(st, id, {"Cookie: sso=dave"}) == 404, "dave sees carol's job");
    BOOST_TEST(job_status(st, id, {"Cookie: sso=alice", basic("carol:x")}) == 404,
               "a Basic header chose the user");
}

// limit_req on job creation: a burst beyond the site's allowance is nginx's 429
// before it reaches asyncpage.
BOOST_AUTO_TEST_CASE(job_creation_is_rate_limited) {
    migrate_test_db();
    ShippedStack st;
    int created = 0, limited = 0;
    for (int i = 0; i < 30; ++i) {
        long status = 0;
        post_job(st, {}, &status);
        created += status == 202;
        limited += status == 429;
    }
    BOOST_TEST_MESSAGE(created << " created, " << limited << " refused");
    BOOST_TEST(limited >= 5, "no rate limit on job creation");
    BOOST_TEST(created >= 20, "the burst allowance is gone");
    std::string site = read_file(shipped_site());
    BOOST_TEST(contains(block(site, "location ~ ^/jobs/[^/]+/events$"), "limit_conn "));
}

BOOST_AUTO_TEST_SUITE_END()
