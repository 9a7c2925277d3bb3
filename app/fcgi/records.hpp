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

// What the walk found out about the request's head.
struct PeekedHead {
    bool body_buffered = false;  // the body (if any) is all there, up to its empty STDIN record
    bool keep = false;           // nginx asked to keep the connection (FCGI_KEEP_CONN)
    std::size_t head_len = 0;    // bytes of BEGIN_REQUEST and PARAMS
    std::size_t body = 0;        // CONTENT_LENGTH
};

// Walks the first `n` bytes of a new request. `why` is set for Bad.
Peek check_records(const unsigned char* buf, std::size_t n, const char** why, PeekedHead* head);

// Bytes of the complete STDIN records at the start of buf (a kept connection's
// previous request).
std::size_t previous_records(const unsigned char* buf, std::size_t n);

}  // namespace asyncpage::fcgi
