// The path prefix a site is mounted under, from what nginx passes: when a
// location strips a prefix (`rewrite ^/sub(/.*)$ $1 break;`), DOCUMENT_URI is
// the path asyncpage routes on and REQUEST_URI still holds the client's whole
// path; the difference is the prefix every link must carry (README, "Mounting
// under a prefix"). Pure functions over strings; never throws on hostile input.
#include <algorithm>

#include "core/text.hpp"
#include "http/request.hpp"

namespace asyncpage::http {
namespace {

int hex_digit(char c) {
    if (text::is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decoding of a path (RFC 3986 §2.1): unlike a query, '+' stays '+'.
std::string decode_path(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        int hi = -1, lo = -1;
        if (raw[i] == '%' && i + 2 < raw.size()) {
            hi = hex_digit(raw[i + 1]);
            lo = hex_digit(raw[i + 2]);
        }
        if (hi >= 0 && lo >= 0) {
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += raw[i];
        }
    }
    return out;
}

// Only plain segments ([A-Za-z0-9._~-]+, none "." or ".."): the prefix goes into
// links and Location headers unencoded, and a client must not be able to steer
// them anywhere but to a path of this site.
bool is_plain_prefix(std::string_view p) {
    if (p.size() < 2 || p.front() != '/' || p.back() == '/') return false;
    std::size_t start = 1;
    while (start <= p.size()) {
        std::size_t end = p.find('/', start);
        if (end == std::string_view::npos) end = p.size();
        std::string_view seg = p.substr(start, end - start);
        if (seg.empty() || seg == "." || seg == "..") return false;
        bool plain = std::all_of(seg.begin(), seg.end(), [](char c) {
            return text::is_name_char(c) || c == '-' || c == '.' || c == '~';
        });
        if (!plain) return false;
        start = end + 1;
    }
    return true;
}

}  // namespace

std::string mount_prefix(std::string_view request_uri, std::string_view document_uri) {
    if (document_uri.empty() || document_uri.front() != '/') return {};
    std::string_view raw = request_uri.substr(0, request_uri.find('?'));
    std::string path = decode_path(raw);
    if (path.size() <= document_uri.size() || !path.ends_with(document_uri)) return {};
    std::string prefix = path.substr(0, path.size() - document_uri.size());
    return is_plain_prefix(prefix) ? prefix : std::string();
}

}  // namespace asyncpage::http
