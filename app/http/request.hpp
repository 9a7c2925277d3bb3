#pragma once
// An HTTP request as nginx hands it over FastCGI, decoupled from libfcgi.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncpage::http {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method;          // REQUEST_METHOD
    std::string path;            // DOCUMENT_URI (already percent-decoded by nginx)
    std::string base;            // the prefix the site is mounted under ("/sub"), "" at the root
    std::string query;           // QUERY_STRING (raw)
    std::string accept;          // HTTP_ACCEPT
    std::string content_type;    // CONTENT_TYPE
    std::string remote_user;     // REMOTE_USER, empty when none
    std::string remote_addr;     // REMOTE_ADDR: owner of the quota when there is no user
    std::string host;            // HTTP_HOST
    std::string origin;          // HTTP_ORIGIN
    std::string sec_fetch_site;  // HTTP_SEC_FETCH_SITE
    std::size_t content_length = 0;
    std::string body;  // read when it fit the listener's peek (see fcgi::Request)
};

// application/x-www-form-urlencoded: '&'-separated, '+' is a space, %XX decoded.
// Malformed escapes are kept literally; never throws. Empty keys are dropped.
Fields decode_urlencoded(std::string_view text);

// First value of `key`, or nullptr.
const std::string* find_field(const Fields& fields, std::string_view key);

// Percent-encodes everything but the unreserved characters A-Z a-z 0-9 - . _ ~ (RFC
// 3986), so the result is safe in a path segment, a query key or value, and HTML.
void append_url_encoded(std::string& out, std::string_view text);
// key=value&key=value, both sides encoded; decode_urlencoded reverses it.
void append_query(std::string& out, const Fields& fields);

// The prefix a site is mounted under: REQUEST_URI's decoded path minus its tail
// DOCUMENT_URI, when nginx stripped it (`rewrite ^/sub(/.*)$ $1 break;`): "/sub".
// "" when nothing was stripped, or when the prefix is not plain path segments
// ([A-Za-z0-9._~-], no "." or ".."), so that a client cannot steer links.
std::string mount_prefix(std::string_view request_uri, std::string_view document_uri);

enum class Format { Html, Json, Csv, Xlsx };
// "html", "json", "csv", "xlsx" (ASCII case-insensitive); nullopt for anything else.
std::optional<Format> parse_format(std::string_view text);
// False when the query has a `format` field that parse_format rejects (a 400).
bool is_known_format(const Fields& query);
// ?format= wins; else the Accept header: the highest-q of text/html (or
// application/xhtml+xml), application/json and text/csv, earlier one on a tie, q=0
// excluded; else HTML. An unknown ?format= gives HTML (so the 400 that callers answer
// after checking is_known_format is a readable page).
Format negotiate_format(const Fields& query, std::string_view accept);

// "404 Not Found" etc. for the Status: header. A code without a known reason phrase
// in 100..599 gets its class's ("418 Client Error"); outside that range the answer is
// "500 Internal Server Error". The pointer stays valid for the life of the process.
const char* status_line(int code);

}  // namespace asyncpage::http
