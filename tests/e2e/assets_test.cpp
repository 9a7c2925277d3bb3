// /assets/NAME-HASH.ext through nginx: every page links its CSS and JS there and
// holds no inline script or style; each file is served as it is in assets/, its
// hash the start of the file's SHA-256, with its type, a year of immutable caching
// and nosniff; GET and HEAD only; an unknown name or a stale hash is 404.
#include <array>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>

#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

namespace {

// The /assets/ URLs in the page's href and src attributes.
std::set<std::string> asset_urls(const std::string& html) {
    static const std::regex ref("(?:href|src)=\"(/assets/[^\"]*)\"");
    std::set<std::string> urls;
    for (std::sregex_iterator it(html.begin(), html.end(), ref), end; it != end; ++it)
        urls.insert((*it)[1]);
    return urls;
}

// What a Content-Security-Policy without 'unsafe-inline' would refuse, if any.
std::string inline_code(const std::string& html) {
    static const std::regex style_element("<style[\\s>]");
    static const std::regex inline_script("<script(?![^>]*\\ssrc=)[^>]*>");
    static const std::regex style_attribute("<[^>]*\\sstyle=");
    static const std::regex handler_attribute("<[^>]*\\son[a-z]+=");
    if (std::regex_search(html, style_element)) return "a <style> element";
    if (std::regex_search(html, inline_script)) return "a <script> without src";
    if (std::regex_search(html, style_attribute)) return "a style attribute";
    if (std::regex_search(html, handler_attribute)) return "an event handler attribute";
    return "";
}

// The first 10 hex digits of the file's SHA-256, as sha256sum prints them.
std::string sha256_prefix(const std::filesystem::path& path) {
    std::string cmd = "sha256sum '" + path.string() + "'";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::array<char, 128> buf{};
    std::string out = p && std::fgets(buf.data(), buf.size(), p) ? buf.data() : "";
    if (p) ::pclose(p);
    return out.substr(0, 10);
}

// "/assets/job-0123456789.js" -> {"job.js", "0123456789"}.
std::pair<std::string, std::string> file_and_hash(const std::string& url) {
    static const std::regex shape("/assets/(.+)-([0-9a-f]{10})(\\.[a-z]+)");
    std::smatch m;
    if (!std::regex_match(url, m, shape)) return {"", ""};
    return {m[1].str() + m[3].str(), m[2].str()};
}

// Links on the page: the stylesheets and scripts named, by file name.
std::set<std::string> linked_files(const std::string& html) {
    std::set<std::string> files;
    for (const auto& url : asset_urls(html))
        files.insert(file_and_hash(url).first);
    return files;
}

Response send(const std::string& method, const std::string& path,
              std::vector<std::string> headers = {}) {
    Request req;
    req.method = method;
    req.url = path;  // Stack::send adds the host
    req.headers = std::move(headers);
    return e2e_stack().send(req);
}

std::string start_job() {
    Response r =
        send("POST", "/reports/job_steps/jobs?steps=1&step_ms=0", {"Accept: application/json"});
    BOOST_TEST_REQUIRE(r.status == 202, r.summary() << ": " << r.body);
    return parse_json(r)["id"].get<std::string>();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(assets)

BOOST_AUTO_TEST_CASE(pages_link_their_assets_and_inline_nothing) {
    Stack& s = e2e_stack();
    const std::string id = start_job();
    // table_sort.js: sortable result tables (a job's result arrives in its page).
    const std::set<std::string> report = {"asyncpage.css", "report.js", "table_sort.js"};
    const std::set<std::string> job = {"asyncpage.css", "job.css", "job.js", "table_sort.js"};
    const std::vector<std::pair<std::string, std::set<std::string>>> pages = {
        {"/", {"asyncpage.css"}},
        {"/reports/html_escape", report},
        {"/reports/html_escape?run=1&trace=1", report},  // the timeline's bars
        {"/reports/params?qty=abc&label=x", report},     // a 400 with the form
        {"/reports/job_steps", report},
        {"/reports/no_such_report", {"asyncpage.css"}},
        {"/jobs/" + id, job},
    };
    for (const auto& [path, files] : pages) {
        BOOST_TEST_CONTEXT(path) {
            Response r = s.get(path, {"Accept: text/html"});
            BOOST_TEST(contains(r.header("content-type"), "text/html"), r.summary());
            BOOST_TEST(inline_code(r.body) == "");
            BOOST_TEST(linked_files(r.body) == files);
            for (const auto& url : asset_urls(r.body)) {
                BOOST_TEST(s.get(url).status == 200, url);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(each_file_served_as_in_assets_with_long_caching) {
    Stack& s = e2e_stack();
    std::set<std::string> urls = asset_urls(s.get("/").body);
    for (const auto& u : asset_urls(s.get("/reports/html_escape").body))
        urls.insert(u);
    for (const auto& u : asset_urls(s.get("/jobs/" + start_job(), {"Accept: text/html"}).body))
        urls.insert(u);
    BOOST_TEST(urls.size() == 5u);  // asyncpage.css, job.css, job.js, report.js, table_sort.js
    const auto dir = std::filesystem::path(ASYNCPAGE_SOURCE_DIR) / "assets";
    for (const auto& url : urls) {
        BOOST_TEST_CONTEXT(url) {
            auto [file, hash] = file_and_hash(url);
            BOOST_TEST_REQUIRE(std::filesystem::exists(dir / file));
            BOOST_TEST(hash == sha256_prefix(dir / file), "the hash is not the file's");
            Response r = s.get(url);
            BOOST_TEST_REQUIRE(r.status == 200, r.summary());
            BOOST_TEST(r.body == read_file(dir / file), "the body is not the file");
            BOOST_TEST(r.header("content-type") == (file.ends_with(".css")
                                                        ? "text/css; charset=utf-8"
                                                        : "text/javascript; charset=utf-8"));
            BOOST_TEST(r.header("cache-control") == "public, max-age=31536000, immutable");
            BOOST_TEST(r.header("x-content-type-options") == "nosniff");

            Response h = send("HEAD", url);
            BOOST_TEST(h.status == 200, h.summary());
            BOOST_TEST(h.body.empty());
            BOOST_TEST(h.header("content-type") == r.header("content-type"));
            BOOST_TEST(h.header("cache-control") == r.header("cache-control"));

            Response p = send("POST", url);
            BOOST_TEST(p.status == 405, p.summary());
            BOOST_TEST(p.header("allow") == "GET, HEAD");
        }
    }
}

BOOST_AUTO_TEST_CASE(unknown_names_and_stale_hashes_are_404) {
    Stack& s = e2e_stack();
    std::string url = *asset_urls(s.get("/").body).begin();
    BOOST_TEST_REQUIRE(s.get(url).status == 200, url);
    std::string stale = url;
    char& digit = stale[stale.rfind('.') - 1];  // the hash's last digit
    digit = digit == '0' ? '1' : '0';
    for (const std::string& path :
         {stale, std::string("/assets/asyncpage.css"), std::string("/assets/"),
          std::string("/assets/nope-0123456789.js"), url + "x"}) {
        Response r = s.get(path);
        BOOST_TEST(r.status == 404, path << ": " << r.summary());
        BOOST_TEST(!contains(r.header("cache-control"), "immutable"),
                   path << " cached as an asset");
    }
}

BOOST_AUTO_TEST_SUITE_END()
