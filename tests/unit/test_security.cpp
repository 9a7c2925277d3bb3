// The browser-facing rules without a server (http/security.hpp), notification
// hints (jobs/job.hpp), job views with nulls (jobs/codec.hpp), and what a visitor
// may see of libpq's connection text (model/pg_error.hpp).
#include <boost/test/unit_test.hpp>

#include "http/security.hpp"
#include "jobs/codec.hpp"
#include "jobs/job.hpp"
#include "model/pg_error.hpp"

using namespace asyncpage;

namespace {
http::Request req(std::string method, std::string host, std::string origin,
                  std::string sec_fetch_site) {
    http::Request r;
    r.method = std::move(method);
    r.host = std::move(host);
    r.origin = std::move(origin);
    r.sec_fetch_site = std::move(sec_fetch_site);
    return r;
}
const std::string kId = "0b4a3c2e-1f00-4a5b-9c8d-7e6f5a4b3c2d";
}  // namespace

BOOST_AUTO_TEST_SUITE(security)

BOOST_AUTO_TEST_CASE(cross_origin_rule) {
    using http::cross_origin_refusal;
    // Safe methods always pass.
    BOOST_TEST(
        cross_origin_refusal(req("GET", "a.example", "https://evil.example", "cross-site")) == "");
    BOOST_TEST(cross_origin_refusal(req("HEAD", "a.example", "", "cross-site")) == "");
    // Sec-Fetch-Site decides when present.
    BOOST_TEST(cross_origin_refusal(req("POST", "a.example", "", "same-origin")) == "");
    BOOST_TEST(cross_origin_refusal(req("POST", "a.example", "", "none")) == "");
    BOOST_TEST(cross_origin_refusal(req("POST", "a.example", "", "cross-site")) != "");
    BOOST_TEST(cross_origin_refusal(req("DELETE", "a.example", "", "same-site")) != "");
    BOOST_TEST(cross_origin_refusal(req("POST", "a.example", "https://a.example", "cross-site")) !=
               "");
    // Else Origin against Host (ports included, case-insensitive).
    BOOST_TEST(cross_origin_refusal(req("POST", "a.example:8080", "http://A.example:8080", "")) ==
               "");
    BOOST_TEST(cross_origin_refusal(req("POST", "a.example:8080", "http://a.example", "")) != "");
    BOOST_TEST(cross_origin_refusal(req("POST", "a.example", "https://evil.example", "")) != "");
    // Debian's fastcgi_params: HTTP_HOST is $host, without the port.
    BOOST_TEST(cross_origin_refusal(req("POST", "a.example", "http://a.example:8080", "")) == "");
    BOOST_TEST(cross_origin_refusal(req("POST", "a.example", "http://b.example:8080", "")) != "");
    BOOST_TEST(cross_origin_refusal(req("POST", "[::1]", "http://[::1]:8080", "")) == "");
    BOOST_TEST(cross_origin_refusal(req("POST", "[::1]:80", "http://[::1]:8080", "")) != "");
    BOOST_TEST(cross_origin_refusal(req("POST", "a.example", "null", "")) != "");
    BOOST_TEST(cross_origin_refusal(req("POST", "", "https://a.example", "")) != "");
    // Neither: curl and scripts.
    BOOST_TEST(cross_origin_refusal(req("POST", "a.example", "", "")) == "");
    BOOST_TEST(http::origin_host("https://a.example:8443") == "a.example:8443");
    BOOST_TEST(http::origin_host("null") == "");
}

BOOST_AUTO_TEST_CASE(headers_by_content_type) {
    std::string html = http::security_headers("text/html; charset=utf-8");
    BOOST_TEST(html.find("Content-Security-Policy: default-src 'none';") != std::string::npos);
    BOOST_TEST(html.find("frame-ancestors 'none'") != std::string::npos);
    BOOST_TEST(html.find("unsafe-inline") == std::string::npos);
    BOOST_TEST(html.find("Referrer-Policy: same-origin\r\n") != std::string::npos);
    BOOST_TEST(html.find("X-Content-Type-Options: nosniff\r\n") != std::string::npos);
    BOOST_TEST(http::security_headers("application/json") == "X-Content-Type-Options: nosniff\r\n");
}

BOOST_AUTO_TEST_CASE(notification_hints_carry_only_an_id) {
    auto h = jobs::parse_job_hint(R"({"id":")" + kId + R"(","state":"queued","version":1})");
    BOOST_TEST_REQUIRE(h.has_value());
    BOOST_TEST(h->id == kId);
    BOOST_TEST(h->queued);
    std::string upper = kId;
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    h = jobs::parse_job_hint(R"({"id":")" + upper + R"(","state":null,"version":null})");
    BOOST_TEST_REQUIRE(h.has_value());
    BOOST_TEST(h->id == kId);
    BOOST_TEST(!h->queued);
    BOOST_TEST(!jobs::parse_job_hint(R"({"id":null})"));
    BOOST_TEST(!jobs::parse_job_hint(R"({"id":"../../etc"})"));
    BOOST_TEST(!jobs::parse_job_hint("not json\nevent: state"));
    BOOST_TEST(!jobs::parse_job_hint("[]"));
    BOOST_TEST(!jobs::parse_job_hint(std::string(7000, '[')));
    BOOST_TEST(!jobs::parse_job_hint(R"({"id":")" + kId + R"(","pad":")" + std::string(8000, 'x') +
                                     "\"}"));
}

BOOST_AUTO_TEST_CASE(job_views_with_nulls_do_not_throw) {
    model::JobView v;
    BOOST_CHECK_NO_THROW(
        v = jobs::decode_job_view(R"({"id":null,"state":null,"progress":null,"version":1e400,)"
                                  R"("error":{"sqlstate":null,"message":null}})",
                                  R"({"a":null})"));
    BOOST_TEST(v.state == "");
    BOOST_TEST(v.error_message == "");
    BOOST_TEST(v.params.empty());
}

BOOST_AUTO_TEST_CASE(connection_text_names_no_server) {
    using model::public_connection_error;
    BOOST_TEST(public_connection_error("connection to server at \"10.0.0.5\", port 5433 failed: "
                                       "Connection refused\n\tIs the server running on that host "
                                       "and accepting TCP/IP connections?\n") ==
               "Connection refused");
    BOOST_TEST(public_connection_error("connection to server on socket "
                                       "\"/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  the "
                                       "database system is shutting down\n") ==
               "FATAL:  the database system is shutting down");
    BOOST_TEST(public_connection_error("server closed the connection unexpectedly\n\tThis "
                                       "probably means the server terminated abnormally\n") ==
               "server closed the connection unexpectedly");
    BOOST_TEST(public_connection_error("could not connect to host \"db.internal\" port 5432") ==
               "connection failed");
}

BOOST_AUTO_TEST_SUITE_END()
