// Query strings and form bodies: application/x-www-form-urlencoded decoding and
// encoding, and the choice of output format from ?format= and the Accept header.
// Pure functions over strings; nothing here may throw on hostile input.
#include <algorithm>
#include <charconv>

#include "core/text.hpp"
#include "http/request.hpp"

namespace asyncpage::http {
namespace {
using text::iequals;

int hex_value(char c) {
    if (text::is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes one key or value. A '%' not followed by two hex digits is kept as is,
// which is what browsers do with such text (WHATWG URL, "percent-decode").
void append_decoded(std::string& out, std::string_view text) {
    out.reserve(out.size() + text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%' && i + 2 < text.size()) {
            int hi = hex_value(text[i + 1]);
            int lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) {
                out += c;
                continue;
            }
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += c;
        }
    }
}

// Optional whitespace around list elements and parameters (RFC 9110 §5.6.3 OWS):
// spaces and tabs only, unlike text::trim.
std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// The q of one media range's parameters ("q=0.8"); 1 when absent or unreadable,
// since RFC 9110 §12.4.2 makes 1 the default.
double quality(std::string_view params) {
    while (!params.empty()) {
        std::size_t semi = params.find(';');
        std::string_view p = trim_ows(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
        if (p.size() >= 2 && text::lower(p[0]) == 'q' && p[1] == '=') {
            double q = 1;
            auto [ptr, ec] = std::from_chars(p.data() + 2, p.data() + p.size(), q);
            if (ec == std::errc{} && ptr == p.data() + p.size() && q >= 0 && q <= 1) return q;
            return 1;
        }
    }
    return 1;
}

}  // namespace

Fields decode_urlencoded(std::string_view text) {
    Fields fields;
    while (!text.empty()) {
        std::size_t amp = text.find('&');
        std::string_view piece = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (piece.empty()) continue;
        std::size_t eq = piece.find('=');
        std::string key;
        append_decoded(key, piece.substr(0, eq));
        if (key.empty()) continue;
        std::string value;
        if (eq != std::string_view::npos) append_decoded(value, piece.substr(eq + 1));
        fields.emplace_back(std::move(key), std::move(value));
    }
    return fields;
}

const std::string* find_field(const Fields& fields, std::string_view key) {
    for (const auto& [k, v] : fields) {
        if (k == key) return &v;
    }
    return nullptr;
}

void append_url_encoded(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    out.reserve(out.size() + text.size());
    std::size_t run = 0;  // start of the current run of bytes that need no escape
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        bool unreserved =
            text::is_alnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) continue;
        out.append(text.data() + run, i - run);
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
        run = i + 1;
    }
    out.append(text.data() + run, text.size() - run);
}

void append_query(std::string& out, const Fields& fields) {
    bool first = true;
    for (const auto& [k, v] : fields) {
        if (!first) out += '&';
        first = false;
        append_url_encoded(out, k);
        out += '=';
        append_url_encoded(out, v);
    }
}

std::optional<Format> parse_format(std::string_view text) {
    if (iequals(text, "html")) return Format::Html;
    if (iequals(text, "json")) return Format::Json;
    if (iequals(text, "csv")) return Format::Csv;
    if (iequals(text, "xlsx")) return Format::Xlsx;
    return std::nullopt;
}

bool is_known_format(const Fields& query) {
    const std::string* f = find_field(query, "format");
    return f == nullptr || parse_format(*f).has_value();
}

Format negotiate_format(const Fields& query, std::string_view accept) {
    if (const std::string* f = find_field(query, "format")) {
        return parse_format(*f).value_or(Format::Html);
    }
    // Highest q wins; on a tie the earlier range, which is how clients list their
    // preference in practice ("application/json, text/html" from a script).
    Format best = Format::Html;
    double best_q = 0;
    while (!accept.empty()) {
        std::size_t comma = accept.find(',');
        std::string_view range = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
        std::size_t semi = range.find(';');
        std::string_view type = trim_ows(range.substr(0, semi));
        double q = semi == std::string_view::npos ? 1.0 : quality(range.substr(semi + 1));
        std::optional<Format> f;
        if (iequals(type, "text/html") || iequals(type, "application/xhtml+xml")) {
            f = Format::Html;
        } else if (iequals(type, "application/json")) {
            f = Format::Json;
        } else if (iequals(type, "text/csv")) {
            f = Format::Csv;
        } else if (iequals(type,
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")) {
            f = Format::Xlsx;
        }
        if (f && q > best_q) {
            best = *f;
            best_q = q;
        }
    }
    return best;
}

}  // namespace asyncpage::http
