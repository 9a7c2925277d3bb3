// FastCGI 1.0 record encoding (spec §3.3–3.4, §5.1) and a blocking raw exchange
// with poll() timeouts, used to send what nginx never would.
#include "support/fcgi_raw.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "support/env.hpp"

namespace support {

std::string fcgi_record(int type, int request_id, std::string_view content) {
    if (content.size() > 65535) throw std::invalid_argument("fcgi record content too long");
    std::string r;
    size_t padding = (8 - content.size() % 8) % 8;
    r += static_cast<char>(1);  // version
    r += static_cast<char>(type);
    r += static_cast<char>((request_id >> 8) & 0xff);
    r += static_cast<char>(request_id & 0xff);
    r += static_cast<char>((content.size() >> 8) & 0xff);
    r += static_cast<char>(content.size() & 0xff);
    r += static_cast<char>(padding);
    r += '\0';
    r.append(content);
    r.append(padding, '\0');
    return r;
}

std::string fcgi_begin_request(int request_id, bool keep_conn) {
    std::string body(8, '\0');
    body[1] = 1;  // FCGI_RESPONDER
    body[2] = keep_conn ? 1 : 0;
    return fcgi_record(FcgiBeginRequest, request_id, body);
}

static void append_length(std::string& out, size_t n) {
    if (n < 128) {
        out += static_cast<char>(n);
    } else {
        out += static_cast<char>(((n >> 24) & 0x7f) | 0x80);
        out += static_cast<char>((n >> 16) & 0xff);
        out += static_cast<char>((n >> 8) & 0xff);
        out += static_cast<char>(n & 0xff);
    }
}

std::string fcgi_encode_params(const FcgiParamList& params) {
    std::string out;
    for (const auto& [k, v] : params) {
        append_length(out, k.size());
        append_length(out, v.size());
        out += k;
        out += v;
    }
    return out;
}

std::string fcgi_full_request(int request_id, const FcgiParamList& params, std::string_view body) {
    std::string out = fcgi_begin_request(request_id);
    std::string encoded = fcgi_encode_params(params);
    for (size_t i = 0; i < encoded.size(); i += 65528) {
        out += fcgi_record(FcgiParams, request_id, std::string_view(encoded).substr(i, 65528));
    }
    out += fcgi_record(FcgiParams, request_id, "");
    for (size_t i = 0; i < body.size(); i += 65528) {
        out += fcgi_record(FcgiStdin, request_id, body.substr(i, 65528));
    }
    out += fcgi_record(FcgiStdin, request_id, "");
    return out;
}

FcgiParamList fcgi_get_params(const std::string& uri) {
    auto q = uri.find('?');
    std::string path = uri.substr(0, q);
    std::string query = q == std::string::npos ? "" : uri.substr(q + 1);
    return {{"QUERY_STRING", query},
            {"REQUEST_METHOD", "GET"},
            {"CONTENT_TYPE", ""},
            {"CONTENT_LENGTH", ""},
            {"SCRIPT_NAME", path},
            {"REQUEST_URI", uri},
            {"DOCUMENT_URI", path},
            {"DOCUMENT_ROOT", "/nonexistent"},
            {"SERVER_PROTOCOL", "HTTP/1.1"},
            {"GATEWAY_INTERFACE", "CGI/1.1"},
            {"REMOTE_ADDR", "127.0.0.1"},
            {"SERVER_NAME", "localhost"},
            {"HTTP_HOST", "localhost"}};
}

FcgiParamList fcgi_request_params(const std::string& method, const std::string& uri,
                                  size_t content_length) {
    FcgiParamList params = fcgi_get_params(uri);
    for (auto& [name, value] : params) {
        if (name == "REQUEST_METHOD") value = method;
        if (content_length > 0 && name == "CONTENT_TYPE")
            value = "application/x-www-form-urlencoded";
        if (content_length > 0 && name == "CONTENT_LENGTH") value = std::to_string(content_length);
    }
    return params;
}

int unix_connect(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("socket path too long");
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        int err = errno;
        ::close(fd);
        throw std::runtime_error("connect " + path + ": " + std::strerror(err));
    }
    return fd;
}

RawExchange fcgi_exchange(const std::string& socket_path, std::string_view bytes, int timeout_ms,
                          bool shutdown_write) {
    RawExchange ex;
    auto start = Clock::now();
    int fd = unix_connect(socket_path);
    size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server may close early on garbage: that is allowed
        sent += static_cast<size_t>(n);
    }
    if (shutdown_write) ::shutdown(fd, SHUT_WR);
    auto deadline = start + std::chrono::milliseconds(timeout_ms);
    char buf[65536];
    for (;;) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) break;
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left));
        if (r <= 0) break;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            ex.eof = true;
            break;
        }
        ex.received.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    ex.seconds = seconds_since(start);
    return ex;
}

std::string fcgi_stdout(std::string_view received) {
    std::string out;
    size_t i = 0;
    while (i + 8 <= received.size()) {
        auto b = [&](size_t k) { return static_cast<unsigned char>(received[i + k]); };
        int type = b(1);
        size_t len = (static_cast<size_t>(b(4)) << 8) | b(5);
        size_t pad = b(6);
        if (i + 8 + len + pad > received.size()) break;
        if (type == FcgiStdout) out.append(received.substr(i + 8, len));
        i += 8 + len + pad;
    }
    return out;
}

}  // namespace support
