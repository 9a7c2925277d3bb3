// render/assets: the files of assets/ as the build embedded them, their URLs with a
// content hash, the lookup the /assets/ route answers from; and the check that pages
// hold nothing a Content-Security-Policy without 'unsafe-inline' refuses.
#include <boost/test/unit_test.hpp>

#include "markup.hpp"

#include <regex>
#include <stdexcept>

#include "render/assets.hpp"

using namespace asyncpage::render;

BOOST_AUTO_TEST_SUITE(assets_table)

BOOST_AUTO_TEST_CASE(every_page_asset_is_embedded_with_a_hashed_url) {
    for (const char* name : {"asyncpage.css", "job.css", "job.js", "report.js", "table_sort.js"}) {
        BOOST_TEST_CONTEXT(name) {
            const std::string& url = asset_url(name);
            const std::string stem(name, std::string_view(name).rfind('.'));
            const std::string ext = std::string_view(name).substr(stem.size()).data();
            BOOST_TEST(
                std::regex_match(url, std::regex("/assets/" + stem + "-[0-9a-f]{10}\\" + ext)),
                url);
            const Asset* a = find_asset(url);
            BOOST_TEST_REQUIRE(a != nullptr);
            BOOST_TEST(a->name == name);
            BOOST_TEST(a->content_type == (ext == ".css" ? "text/css; charset=utf-8"
                                                         : "text/javascript; charset=utf-8"));
            BOOST_TEST(a->body.size() > 100u);
        }
    }
    // The files, not a trimmed copy: the script still holds its code.
    BOOST_TEST(find_asset(asset_url("job.js"))->body.find("new EventSource(base + \"/events\")") !=
               std::string_view::npos);
    BOOST_TEST(find_asset(asset_url("report.js"))->body.find("addEventListener(\"pageshow\"") !=
               std::string_view::npos);
    BOOST_TEST(find_asset(asset_url("asyncpage.css"))->body.find(".spinner{") !=
               std::string_view::npos);
    BOOST_TEST(find_asset(asset_url("table_sort.js"))->body.find("aria-sort") !=
               std::string_view::npos);
}

BOOST_AUTO_TEST_CASE(unknown_names_and_stale_hashes_are_not_found) {
    std::string url = asset_url("job.js");
    BOOST_TEST(find_asset(url) != nullptr);
    std::string stale = url;
    stale[stale.size() - 4] = stale[stale.size() - 4] == '0' ? '1' : '0';  // last hash digit
    BOOST_TEST(find_asset(stale) == nullptr);
    BOOST_TEST(find_asset("/assets/job.js") == nullptr);
    BOOST_TEST(find_asset("/assets/") == nullptr);
    BOOST_TEST(find_asset("/assets/nope-0123456789.js") == nullptr);
    BOOST_TEST(find_asset(url + "x") == nullptr);
    BOOST_TEST(find_asset(url.substr(1)) == nullptr);
    BOOST_CHECK_THROW(asset_url("nope.js"), std::logic_error);
}

// nosniff comes with every answer (http::security_headers; tests/e2e/assets_test).
BOOST_AUTO_TEST_CASE(headers_cache_for_a_year) {
    BOOST_TEST(std::string(kAssetHeaders) ==
               "Cache-Control: public, max-age=31536000, immutable\r\n");
}

// The checker the page tests rely on finds each kind of inline code.
BOOST_AUTO_TEST_CASE(inline_code_finds_what_a_strict_csp_refuses) {
    BOOST_TEST(markup::inline_code("<p class=\"a\">x</p><script src=\"/a.js\" defer></script>") ==
               "");
    BOOST_TEST(markup::inline_code("<p title=\"style=x onclick=y\">x</p>") == "");
    BOOST_TEST(markup::inline_code("<style>p{}</style>") == "a <style> element");
    BOOST_TEST(markup::inline_code("<script>alert(1)</script>") == "a <script> without src");
    BOOST_TEST(markup::inline_code("<script src=\"/a.js\">alert(1)</script>") ==
               "a <script> with a body");
    BOOST_TEST(markup::inline_code("<td style=\"width:1%\"></td>") ==
               "a style attribute in <td style=\"width:1%\">");
    BOOST_TEST(markup::inline_code("<img src=x onerror=alert(1)>") ==
               "an event handler attribute in <img src=x onerror=alert(1)>");
    BOOST_TEST(markup::inline_code("<a href='javascript:alert(1)'>x</a>") ==
               "a javascript: URL in <a href='javascript:alert(1)'>");
}

BOOST_AUTO_TEST_SUITE_END()
