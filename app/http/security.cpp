// The cross-origin rule and the security headers (http/security.hpp).
#include "http/security.hpp"

#include <algorithm>
#include <cctype>

namespace asyncpage::http {

namespace {
std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}
// "host:port", "[v6]:port": the part after the last ':' outside brackets.
bool has_port(std::string_view hostport) {
    auto colon = hostport.rfind(':');
    return colon != std::string_view::npos && hostport.find(']', colon) == std::string_view::npos;
}

std::string strip_port(std::string_view hostport) {
    return std::string(has_port(hostport) ? hostport.substr(0, hostport.rfind(':')) : hostport);
}
}  // namespace

bool is_safe_method(std::string_view method) {
    return method == "GET" || method == "HEAD";
}

std::string origin_host(std::string_view origin) {
    auto scheme = origin.find("://");
    if (scheme == std::string_view::npos || scheme == 0) return {};
    std::string_view rest = origin.substr(scheme + 3);
    // An Origin is scheme://host[:port] with nothing after; be lenient about a path.
    rest = rest.substr(0, rest.find('/'));
    return lower(rest);
}

std::string cross_origin_refusal(const Request& r) {
    if (is_safe_method(r.method)) return {};
    if (!r.sec_fetch_site.empty()) {
        std::string site = lower(r.sec_fetch_site);
        if (site == "same-origin" || site == "none") return {};
        return "Sec-Fetch-Site is " + r.sec_fetch_site;
    }
    if (!r.origin.empty()) {
        std::string from = origin_host(r.origin);
        std::string host = lower(r.host);
        // Debian's fastcgi_params sends HTTP_HOST as nginx's $host, without the
        // port: then the host names must match and the port cannot be compared.
        if (!from.empty() && (from == host || (!has_port(host) && strip_port(from) == host)))
            return {};
        return "Origin " + r.origin + " is not this host (" + r.host + ")";
    }
    return {};
}

std::string security_headers(std::string_view content_type) {
    std::string out = "X-Content-Type-Options: nosniff\r\n";
    if (lower(content_type.substr(0, 9)) == "text/html") {
        out += "Content-Security-Policy: ";
        out += kContentSecurityPolicy;
        out += "\r\nReferrer-Policy: same-origin\r\n";
    }
    return out;
}

}  // namespace asyncpage::http
