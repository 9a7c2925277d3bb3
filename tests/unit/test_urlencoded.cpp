// http: urlencoded decoding and encoding, format negotiation, status lines.
// Exact outputs, including the malformed input a browser or a script may send.
#include <boost/test/unit_test.hpp>

#include "http/request.hpp"

using namespace asyncpage::http;

namespace {
Fields f(std::initializer_list<std::pair<std::string, std::string>> l) {
    return Fields(l);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(urlencoded)

BOOST_AUTO_TEST_CASE(plain_pairs_in_order) {
    BOOST_TEST((decode_urlencoded("a=1&b=2&a=3") == f({{"a", "1"}, {"b", "2"}, {"a", "3"}})));
}

BOOST_AUTO_TEST_CASE(plus_and_percent) {
    BOOST_TEST((decode_urlencoded("q=a+b%20c%2Bd%2bE") == f({{"q", "a b c+d+E"}})));
    BOOST_TEST((decode_urlencoded("k%3D%26=v%3d%26") == f({{"k=&", "v=&"}})));
    BOOST_TEST((decode_urlencoded("u=%C3%A9%e2%82%ac") == f({{"u", "\xC3\xA9\xE2\x82\xAC"}})));
    BOOST_TEST((decode_urlencoded("z=%00") == f({{"z", std::string(1, '\0')}})));
}

BOOST_AUTO_TEST_CASE(invalid_escapes_kept_literally) {
    BOOST_TEST((decode_urlencoded("a=%zz&b=%4&c=%&d=%%41&e=100%") ==
                f({{"a", "%zz"}, {"b", "%4"}, {"c", "%"}, {"d", "%A"}, {"e", "100%"}})));
    BOOST_TEST((decode_urlencoded("a=%g1%1g") == f({{"a", "%g1%1g"}})));
}

BOOST_AUTO_TEST_CASE(keys_without_value_and_empty_pieces) {
    BOOST_TEST((decode_urlencoded("run&x=&&y") == f({{"run", ""}, {"x", ""}, {"y", ""}})));
    BOOST_TEST((decode_urlencoded("=v&=&a=b=c") == f({{"a", "b=c"}})));
    BOOST_TEST(decode_urlencoded("").empty());
    BOOST_TEST(decode_urlencoded("&&&").empty());
    BOOST_TEST((decode_urlencoded("+=1") == f({{" ", "1"}})));
}

BOOST_AUTO_TEST_CASE(find_field_gives_first) {
    Fields fields = f({{"a", "1"}, {"b", ""}, {"a", "2"}});
    BOOST_REQUIRE(find_field(fields, "a") != nullptr);
    BOOST_TEST(*find_field(fields, "a") == "1");
    BOOST_TEST(*find_field(fields, "b") == "");
    BOOST_TEST(find_field(fields, "c") == nullptr);
    BOOST_TEST(find_field(fields, "A") == nullptr);
}

BOOST_AUTO_TEST_CASE(url_encoding) {
    std::string out;
    append_url_encoded(out, "AZaz09-._~ /?&=+%\"<>'\xC3\xA9");
    BOOST_TEST(out == "AZaz09-._~%20%2F%3F%26%3D%2B%25%22%3C%3E%27%C3%A9");
    out.clear();
    append_query(out, f({{"a b", "x&y"}, {"c", ""}}));
    BOOST_TEST(out == "a%20b=x%26y&c=");
    BOOST_TEST((decode_urlencoded(out) == f({{"a b", "x&y"}, {"c", ""}})));
}

BOOST_AUTO_TEST_CASE(round_trip_every_byte) {
    std::string all;
    for (int c = 1; c < 256; ++c)
        all += static_cast<char>(c);
    std::string q = "k=";
    append_url_encoded(q, all);
    auto fields = decode_urlencoded(q);
    BOOST_REQUIRE_EQUAL(fields.size(), 1u);
    BOOST_TEST(fields[0].second == all);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(format_negotiation)

BOOST_AUTO_TEST_CASE(parse_format_values) {
    BOOST_TEST((parse_format("html") == Format::Html));
    BOOST_TEST((parse_format("json") == Format::Json));
    BOOST_TEST((parse_format("CSV") == Format::Csv));
    BOOST_TEST(!parse_format("xml").has_value());
    BOOST_TEST(!parse_format("").has_value());
    BOOST_TEST(!parse_format("jsonx").has_value());
}

BOOST_AUTO_TEST_CASE(query_wins_over_accept) {
    BOOST_TEST((negotiate_format(f({{"format", "json"}}), "text/html") == Format::Json));
    BOOST_TEST((negotiate_format(f({{"format", "csv"}}), "application/json") == Format::Csv));
    BOOST_TEST((negotiate_format(f({{"format", "html"}}), "application/json") == Format::Html));
    // Unknown format: HTML, and the caller can tell with is_known_format.
    BOOST_TEST((negotiate_format(f({{"format", "xml"}}), "application/json") == Format::Html));
    BOOST_TEST(!is_known_format(f({{"format", "xml"}})));
    BOOST_TEST(!is_known_format(f({{"format", ""}})));
    BOOST_TEST(is_known_format(f({{"format", "json"}})));
    BOOST_TEST(is_known_format(f({{"a", "b"}})));
}

BOOST_AUTO_TEST_CASE(accept_header) {
    Fields none;
    BOOST_TEST((negotiate_format(none, "") == Format::Html));
    BOOST_TEST((negotiate_format(none, "*/*") == Format::Html));
    BOOST_TEST((negotiate_format(none, "application/json") == Format::Json));
    BOOST_TEST((negotiate_format(none, "text/csv") == Format::Csv));
    BOOST_TEST((negotiate_format(none, "Application/JSON; charset=utf-8") == Format::Json));
    BOOST_TEST((negotiate_format(none, "application/json, text/plain, */*") == Format::Json));
    BOOST_TEST((negotiate_format(none, "application/json, text/html") == Format::Json));
    BOOST_TEST((negotiate_format(none, "text/html, application/json") == Format::Html));
    BOOST_TEST((negotiate_format(none,
                                 "text/html,application/xhtml+xml,application/xml;q=0.9,"
                                 "image/avif,image/webp,*/*;q=0.8") == Format::Html));
    BOOST_TEST((negotiate_format(none, "text/html;q=0.5, application/json") == Format::Json));
    BOOST_TEST((negotiate_format(none, "application/json;q=0.2,text/csv;q=0.9") == Format::Csv));
    BOOST_TEST((negotiate_format(none, "application/json;q=0") == Format::Html));
    BOOST_TEST((negotiate_format(none, " text/csv ; q=1 , application/json") == Format::Csv));
    BOOST_TEST((negotiate_format(none, "application/jsonx, text/csvx") == Format::Html));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(status_lines)

BOOST_AUTO_TEST_CASE(known_codes) {
    BOOST_TEST(std::string(status_line(200)) == "200 OK");
    BOOST_TEST(std::string(status_line(202)) == "202 Accepted");
    BOOST_TEST(std::string(status_line(204)) == "204 No Content");
    BOOST_TEST(std::string(status_line(303)) == "303 See Other");
    BOOST_TEST(std::string(status_line(304)) == "304 Not Modified");
    BOOST_TEST(std::string(status_line(400)) == "400 Bad Request");
    BOOST_TEST(std::string(status_line(404)) == "404 Not Found");
    BOOST_TEST(std::string(status_line(405)) == "405 Method Not Allowed");
    BOOST_TEST(std::string(status_line(409)) == "409 Conflict");
    BOOST_TEST(std::string(status_line(413)) == "413 Content Too Large");
    BOOST_TEST(std::string(status_line(500)) == "500 Internal Server Error");
    BOOST_TEST(std::string(status_line(502)) == "502 Bad Gateway");
    BOOST_TEST(std::string(status_line(503)) == "503 Service Unavailable");
    BOOST_TEST(std::string(status_line(504)) == "504 Gateway Timeout");
}

BOOST_AUTO_TEST_CASE(fallbacks) {
    BOOST_TEST(std::string(status_line(418)) == "418 Client Error");
    BOOST_TEST(std::string(status_line(299)) == "299 Success");
    BOOST_TEST(std::string(status_line(599)) == "599 Server Error");
    BOOST_TEST(std::string(status_line(0)) == "500 Internal Server Error");
    BOOST_TEST(std::string(status_line(600)) == "500 Internal Server Error");
    BOOST_TEST(std::string(status_line(-1)) == "500 Internal Server Error");
    BOOST_TEST(status_line(418) == status_line(418));  // stable pointer
}

BOOST_AUTO_TEST_SUITE_END()

// README, "Mounting under a prefix": the prefix is what nginx stripped from the
// client's path; only plain path segments count, so no client can make links
// point elsewhere (//host, dot segments, markup).
BOOST_AUTO_TEST_SUITE(mount_prefix_of_a_request)

BOOST_AUTO_TEST_CASE(stripped_prefix_is_found) {
    using asyncpage::http::mount_prefix;
    BOOST_TEST(mount_prefix("/sub/reports/x?n=1", "/reports/x") == "/sub");
    BOOST_TEST(mount_prefix("/a/b-c.d~e/", "/") == "/a/b-c.d~e");
    BOOST_TEST(mount_prefix("/sub/reports/no%20title", "/reports/no title") == "/sub");
    BOOST_TEST(mount_prefix("/s%75b/reports/x", "/reports/x") == "/sub");
}

BOOST_AUTO_TEST_CASE(nothing_stripped_or_unsafe_gives_no_prefix) {
    using asyncpage::http::mount_prefix;
    BOOST_TEST(mount_prefix("/reports/x?a=/sub", "/reports/x") == "");
    BOOST_TEST(mount_prefix("", "/reports/x") == "");
    BOOST_TEST(mount_prefix("/sub/reports/x", "") == "");
    BOOST_TEST(mount_prefix("/other/path", "/reports/x") == "");
    BOOST_TEST(mount_prefix("//evil.example/reports/x", "/evil.example/reports/x") == "");
    BOOST_TEST(mount_prefix("//evil.example/reports/x", "/reports/x") == "");
    BOOST_TEST(mount_prefix("/a/../reports/x", "/reports/x") == "");
    BOOST_TEST(mount_prefix("/./reports/x", "/reports/x") == "");
    BOOST_TEST(mount_prefix("/sub//reports/x", "/reports/x") == "");
    BOOST_TEST(mount_prefix("/%22%3E%3Cscript%3E/reports/x", "/reports/x") == "");
    BOOST_TEST(mount_prefix("/a%2Fb/reports/x", "/reports/x") == "/a/b");
}

BOOST_AUTO_TEST_SUITE_END()
