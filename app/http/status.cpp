// Reason phrases for the FastCGI "Status:" header (RFC 9110 §15). nginx passes the
// line through to the client as is, so an unknown code still needs a phrase.
#include <array>
#include <string>
#include <utility>

#include "http/request.hpp"

namespace asyncpage::http {
namespace {

constexpr std::pair<int, const char*> kLines[] = {
    {200, "200 OK"},
    {201, "201 Created"},
    {202, "202 Accepted"},
    {204, "204 No Content"},
    {301, "301 Moved Permanently"},
    {302, "302 Found"},
    {303, "303 See Other"},
    {304, "304 Not Modified"},
    {307, "307 Temporary Redirect"},
    {308, "308 Permanent Redirect"},
    {400, "400 Bad Request"},
    {401, "401 Unauthorized"},
    {403, "403 Forbidden"},
    {404, "404 Not Found"},
    {405, "405 Method Not Allowed"},
    {406, "406 Not Acceptable"},
    {408, "408 Request Timeout"},
    {409, "409 Conflict"},
    {410, "410 Gone"},
    {411, "411 Length Required"},
    {413, "413 Content Too Large"},
    {415, "415 Unsupported Media Type"},
    {422, "422 Unprocessable Content"},
    {429, "429 Too Many Requests"},
    {431, "431 Request Header Fields Too Large"},
    {500, "500 Internal Server Error"},
    {501, "501 Not Implemented"},
    {502, "502 Bad Gateway"},
    {503, "503 Service Unavailable"},
    {504, "504 Gateway Timeout"},
};

const char* known(int code) {
    for (const auto& [c, line] : kLines) {
        if (c == code) return line;
    }
    return nullptr;
}

}  // namespace

const char* status_line(int code) {
    if (const char* line = known(code)) return line;
    if (code < 100 || code > 599) return "500 Internal Server Error";
    // Built once (thread-safe static init), so the pointers live as long as the
    // process and the hot path never formats.
    static const std::array<std::string, 500> generic = [] {
        static constexpr const char* classes[] = {"Informational", "Success", "Redirection",
                                                  "Client Error", "Server Error"};
        std::array<std::string, 500> lines;
        for (int c = 100; c < 600; ++c) {
            lines[c - 100] = std::to_string(c) + ' ' + classes[c / 100 - 1];
        }
        return lines;
    }();
    return generic[code - 100].c_str();
}

}  // namespace asyncpage::http
