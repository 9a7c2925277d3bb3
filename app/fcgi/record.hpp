#pragma once
// FastCGI record framing for the output asyncpage writes itself (FastCGI spec §3.3,
// §5.3, §5.5): STDOUT records, the empty STDOUT record that ends the stream, and
// END_REQUEST. libfcgi's own writer cannot write to a non-blocking fd
// (docs/ARCHITECTURE.md, "libfcgi"), so it is only used to read requests.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace asyncpage::fcgi {

inline constexpr std::size_t kRecordHeaderSize = 8;
// contentLength is a 16-bit field.
inline constexpr std::size_t kMaxRecordContent = 65535;

// Bytes that append_stdout adds for `n` bytes of content: one header per started
// 65,535 bytes. No padding: the spec recommends, not requires, 8-byte alignment.
std::size_t stdout_framed_size(std::size_t n);

// Appends `data` as STDOUT records of request `request_id`, each with at most
// kMaxRecordContent bytes of content. Nothing for empty data (an empty STDOUT
// record would end the stream).
void append_stdout(std::string& out, std::uint16_t request_id, std::string_view data);

// Appends the end of a response: the empty STDOUT record, then END_REQUEST with
// `app_status` and protocolStatus FCGI_REQUEST_COMPLETE.
void append_end(std::string& out, std::uint16_t request_id, std::uint32_t app_status);

}  // namespace asyncpage::fcgi
