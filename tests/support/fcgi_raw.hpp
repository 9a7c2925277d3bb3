#pragma once
// Hand-made FastCGI records sent straight to asyncpage's Unix socket, bypassing
// nginx: for the "no request, however malformed, crashes a worker" tests.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace support {

enum FcgiType {
    FcgiBeginRequest = 1,
    FcgiAbortRequest = 2,
    FcgiEndRequest = 3,
    FcgiParams = 4,
    FcgiStdin = 5,
    FcgiStdout = 6,
    FcgiStderr = 7
};

using FcgiParamList = std::vector<std::pair<std::string, std::string>>;

std::string fcgi_record(int type, int request_id, std::string_view content);
std::string fcgi_begin_request(int request_id, bool keep_conn = false);
// Name-value pair encoding (1-byte lengths below 128, else 4 bytes with the high bit).
std::string fcgi_encode_params(const FcgiParamList& params);
// BEGIN_REQUEST, PARAMS (split into records), empty PARAMS, STDIN, empty STDIN.
std::string fcgi_full_request(int request_id, const FcgiParamList& params,
                              std::string_view body = {});
// The params nginx would send for a GET of `uri` ("/path?query").
FcgiParamList fcgi_get_params(const std::string& uri);
// The same for any method, announcing a form body of `content_length` bytes (none
// when 0). Set in place: a second entry of a name would be ignored (the first wins).
FcgiParamList fcgi_request_params(const std::string& method, const std::string& uri,
                                  size_t content_length = 0);

// Connected Unix stream socket (throws on failure). Caller closes.
int unix_connect(const std::string& path);

struct RawExchange {
    std::string received;  // raw bytes from the server
    bool eof = false;      // the server closed the connection
    double seconds = 0;
};
// Connects, writes `bytes`, optionally shuts down writing, reads until EOF or timeout.
RawExchange fcgi_exchange(const std::string& socket_path, std::string_view bytes, int timeout_ms,
                          bool shutdown_write = false);
// Concatenated STDOUT content of the records in `received` (stops at a bad record).
std::string fcgi_stdout(std::string_view received);

}  // namespace support
