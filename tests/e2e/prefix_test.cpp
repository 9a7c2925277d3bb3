// The site mounted under a prefix behind nginx (README, "Mounting under a
// prefix"): nginx strips /sub with `rewrite ... break`, asyncpage routes on the
// stripped DOCUMENT_URI and builds every link and Location from the prefix it
// finds in REQUEST_URI. The same server keeps answering at the root unprefixed.
#include <boost/test/unit_test.hpp>
#include <regex>

#include "support/own_site.hpp"
#include "support/text.hpp"

using namespace support;
using namespace support::own_site;
namespace fs = std::filesystem;

namespace {

const char* const page_report =
    "-- title: Prefixed page\n"
    "-- param: n int default 1\n"
    "-- section: one\n"
    "SELECT :n AS own_prefix;\n";

const char* const job_report =
    "-- title: Prefixed job\n"
    "-- job: true\n"
    "-- section: one\n"
    "SELECT 1 AS own_prefix_job;\n";

// README's snippet, inside the local nginx.conf's server block, before `location /`.
const char* const prefix_locations =
    "        location /sub/ {\n"
    "            rewrite ^/sub(/.*)$ $1 break;\n"
    "            include /etc/nginx/fastcgi_params;\n"
    "            fastcgi_pass asyncpage;\n"
    "            fastcgi_keep_conn on;\n"
    "        }\n"
    "        location ~ ^/sub/jobs/[^/]+/events$ {\n"
    "            rewrite ^/sub(/.*)$ $1 break;\n"
    "            include /etc/nginx/fastcgi_params;\n"
    "            fastcgi_pass asyncpage;\n"
    "            fastcgi_keep_conn on;\n"
    "            fastcgi_buffering off;\n"
    "            fastcgi_read_timeout 3600s;\n"
    "        }\n";

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size())
        text.replace(pos, from.size(), to);
}

struct PrefixStack {
    ReportDir reports{Reports{{"page", page_report}, {"jobrep", job_report}}};
    Server server{options(reports)};
    Nginx nginx{server.socket_path(), [](const fs::path& prefix, int port, const fs::path& sock) {
                    std::string conf =
                        read_file(fs::path(ASYNCPAGE_SOURCE_DIR) / "nginx" / "local.conf.in");
                    replace_all(conf, "@PREFIX@", prefix.string());
                    replace_all(conf, "@PORT@", std::to_string(port));
                    replace_all(conf, "@SOCKET@", sock.string());
                    replace_all(conf, "@USER@", geteuid() == 0 ? "user root;" : "");
                    const std::string root = "        location / {\n";
                    size_t at = conf.find(root);
                    if (at == std::string::npos) throw std::runtime_error("no `location /`");
                    conf.insert(at, prefix_locations);
                    return conf;
                }};
    static ServerOptions options(const ReportDir& r) {
        prepare_test_schema();
        ServerOptions o;
        o.workers = 1;
        o.reports_dir = r.path();
        return o;
    }
};

// Every href, src and action value in a page.
std::vector<std::string> links(const std::string& html) {
    static const std::regex ref("(?:href|src|action|data-url)=\"([^\"]*)\"");
    std::vector<std::string> out;
    for (std::sregex_iterator it(html.begin(), html.end(), ref), end; it != end; ++it)
        out.push_back((*it)[1]);
    return out;
}

// Each absolute link starts with `prefix` + "/" and, fetched, answers 200.
void expect_links_under(const PrefixStack& st, const std::string& html, const std::string& prefix) {
    std::vector<std::string> found = links(html);
    BOOST_TEST(!found.empty());
    for (const std::string& l : found) {
        if (l.empty() || l.front() != '/') continue;  // relative or external: none so far
        BOOST_TEST(l.rfind(prefix + "/", 0) == 0, "link " << l << " is not under " << prefix);
        if (l.find("/jobs") != std::string::npos) continue;  // POST targets
        Response r = get(st.nginx.url(std::regex_replace(l, std::regex("&amp;"), "&")));
        BOOST_TEST(r.status == 200, "link " << l << ": " << r.summary());
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(prefix)

BOOST_AUTO_TEST_CASE(links_and_locations_carry_the_prefix) {
    PrefixStack st;
    Response index = get(st.nginx.url("/sub/"));
    BOOST_TEST_REQUIRE(index.status == 200, index.summary() << " " << index.body);
    BOOST_TEST(contains(index.body, "href=\"/sub/reports/page\""), index.body);
    expect_links_under(st, index.body, "/sub");

    Response page = get(st.nginx.url("/sub/reports/page?n=3"));
    BOOST_TEST_REQUIRE(page.status == 200, page.summary());
    BOOST_TEST(contains(page.body, "action=\"/sub/reports/page\""));
    BOOST_TEST(contains(page.body, "/sub/reports/page?format=csv&amp;section=one"));
    expect_links_under(st, page.body, "/sub");

    Response json = get(st.nginx.url("/sub/?format=json"));
    BOOST_TEST(contains(json.body, "\"url\":\"/sub/reports/page\""), json.body);

    Request create;
    create.method = "POST";
    create.url = st.nginx.url("/sub/reports/jobrep/jobs");
    create.headers = {"Accept: text/html", "Content-Type: application/x-www-form-urlencoded"};
    Response created = request(create);
    BOOST_TEST_REQUIRE(created.status == 303, created.summary() << " " << created.body);
    std::string location = created.header("location");
    BOOST_TEST(location.rfind("/sub/jobs/", 0) == 0, "Location: " << location);
    Response wait = get(st.nginx.url(location), {"Accept: text/html"});
    BOOST_TEST(wait.status == 200, wait.summary());
    BOOST_TEST(contains(wait.body, "data-url=\"" + location + "\""), "job.js would poll elsewhere");
    BOOST_TEST(contains(wait.body, "href=\"/sub/reports/jobrep\""));
    Response events = get(st.nginx.url(location + "/events"), {"Accept: text/event-stream"}, 10000);
    BOOST_TEST(events.status == 200, events.summary());
    BOOST_TEST(contains(events.body, "event: state"), events.body);

    Response root = get(st.nginx.url("/"));
    BOOST_TEST(contains(root.body, "href=\"/reports/page\""), "the root lost its plain links");
    BOOST_TEST(!contains(root.body, "/sub/"));
}

BOOST_AUTO_TEST_SUITE_END()
