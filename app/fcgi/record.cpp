// FastCGI record framing: headers, STDOUT splitting, END_REQUEST.
#include "fcgi/record.hpp"

#include <fastcgi.h>

namespace asyncpage::fcgi {

namespace {
void append_header(std::string& out, unsigned char type, std::uint16_t request_id,
                   std::size_t content) {
    const char h[kRecordHeaderSize] = {
        static_cast<char>(FCGI_VERSION_1),
        static_cast<char>(type),
        static_cast<char>(request_id >> 8),
        static_cast<char>(request_id & 0xff),
        static_cast<char>((content >> 8) & 0xff),
        static_cast<char>(content & 0xff),
        0,  // paddingLength
        0,  // reserved
    };
    out.append(h, sizeof h);
}
}  // namespace

std::size_t stdout_framed_size(std::size_t n) {
    std::size_t records = n / kMaxRecordContent + (n % kMaxRecordContent != 0);
    return n + records * kRecordHeaderSize;
}

void append_stdout(std::string& out, std::uint16_t request_id, std::string_view data) {
    out.reserve(out.size() + stdout_framed_size(data.size()));
    while (!data.empty()) {
        std::size_t n = data.size() < kMaxRecordContent ? data.size() : kMaxRecordContent;
        append_header(out, FCGI_STDOUT, request_id, n);
        out.append(data.data(), n);
        data.remove_prefix(n);
    }
}

void append_end(std::string& out, std::uint16_t request_id, std::uint32_t app_status) {
    append_header(out, FCGI_STDOUT, request_id, 0);
    append_header(out, FCGI_END_REQUEST, request_id, 8);
    const char body[8] = {
        static_cast<char>((app_status >> 24) & 0xff),
        static_cast<char>((app_status >> 16) & 0xff),
        static_cast<char>((app_status >> 8) & 0xff),
        static_cast<char>(app_status & 0xff),
        static_cast<char>(FCGI_REQUEST_COMPLETE),
        0,
        0,
        0,
    };
    out.append(body, sizeof body);
}

}  // namespace asyncpage::fcgi
