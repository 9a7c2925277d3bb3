#pragma once
// The browser-facing protections every answer shares (README, "Security"): the
// cross-origin rule for requests that change state, and the headers that pin what
// a page may load and who may frame it.
#include <string>
#include <string_view>

#include "http/request.hpp"

namespace asyncpage::http {

// GET and HEAD: the only methods that must not change anything.
bool is_safe_method(std::string_view method);

// Why a state-changing request comes from another site, or "" when it does not
// (modelled on Go's net/http.CrossOriginProtection): Sec-Fetch-Site, when the
// browser sent it, must be same-origin or none; otherwise an Origin, when sent,
// must name the request's Host (HTTP_HOST; when it has no port, as Debian's
// fastcgi_params sends it, only the host names are compared). A request with neither (curl,
// scripts, old browsers) is let through: only browsers carry a victim's cookies or credentials.
// Safe methods always pass.
std::string cross_origin_refusal(const Request& request);

// The host[:port] of an Origin header value ("https://a.example:8443" ->
// "a.example:8443"), lower-cased; "" for "null" or anything without a scheme.
std::string origin_host(std::string_view origin);

// The Content-Security-Policy of every HTML answer: scripts, styles, images and
// connections from the site only, nothing inline, forms post only to the site, no
// framing by anyone (clickjacking of the Run and Cancel buttons).
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

// Header lines ("Name: value\r\n") an answer of `content_type` carries: nosniff on
// every answer; for HTML also the policy above and Referrer-Policy: same-origin (job
// ids in URLs never leave the site in a Referer).
std::string security_headers(std::string_view content_type);

}  // namespace asyncpage::http
