#pragma once
// The FastCGI records a worker reads itself, before libfcgi: the peek-only
// handshake's walk over BEGIN_REQUEST, PARAMS and STDIN (FastCGI spec §3.3-3.4).
// Pure functions of the bytes peeked so far, so that a peer's hostile bytes can
// be fuzzed (tests/fuzz/fuzz_fcgi_records.cpp) without sockets.
#include <cstddef>
#include <string>

namespace asyncpage::fcgi {

enum class Peek {
    Complete,    // BEGIN_REQUEST and all PARAMS (and a small body) are in: hand over
    Incomplete,  // wait for more bytes
    Bad,         // not a request we accept: drop the connection (`why` says why)
};

// CONTENT_LENGTH from FastCGI name-value pairs (spec §3.4: 1- or 4-byte lengths);
// 0 when absent, malformed or not a number.
std::size_t content_length_of(const std::string& pairs);

// Walks the first `n` bytes of a new request. `why` is set for Bad;
// `body_buffered` tells whether the body (if any) is all there.
Peek check_records(const unsigned char* buf, std::size_t n, const char** why, bool* body_buffered);

// Bytes of the complete STDIN records at the start of buf (a kept connection's
// previous request).
std::size_t previous_records(const unsigned char* buf, std::size_t n);

}  // namespace asyncpage::fcgi
