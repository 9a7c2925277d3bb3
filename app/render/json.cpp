// JSON writer for report pages (README, "HTTP interface") and error bodies. Written by hand into
// one buffer instead of through a nlohmann::json tree: no allocation per cell, and
// numbers and json/jsonb values keep PostgreSQL's exact text instead of a round
// trip through double. nlohmann only validates json/jsonb values (accept, no DOM).
#include "render/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace asyncpage::render {

JsonKind json_kind(Oid oid) {
    using namespace model::pg_type;
    switch (oid) {
        case kInt8:
        case kInt2:
        case kInt4:
        case kOid:
        case kFloat4:
        case kFloat8:
            return JsonKind::Number;
        case kBool:
            return JsonKind::Bool;
        case kTimestamp:
        case kTimestamptz:
            return JsonKind::Timestamp;
        case kJson:
        case kJsonb:
            return JsonKind::Raw;
        default:
            return JsonKind::String;
    }
}

namespace {
using text::is_digit;

// Length of the well-formed UTF-8 sequence at s[i] (2..4), or 0 with `bad` set to
// the length of its maximal ill-formed subpart (Unicode §3.9 U+FFFD substitution,
// as browsers decode): each such subpart becomes one U+FFFD.
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::size_t& bad) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c == 0xE0) {
        len = 3, lo = 0xA0;  // no overlong forms
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
        len = 3;
    } else if (c == 0xED) {
        len = 3, hi = 0x9F;  // no surrogates
    } else if (c == 0xF0) {
        len = 4, lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
        len = 4;
    } else if (c == 0xF4) {
        len = 4, hi = 0x8F;  // nothing above U+10FFFF
    } else {
        bad = 1;  // a stray continuation byte, C0/C1, or F5..FF
        return 0;
    }
    for (std::size_t k = 1; k < len; ++k) {
        if (i + k >= s.size()) {
            bad = k;
            return 0;
        }
        auto d = static_cast<unsigned char>(s[i + k]);
        bool ok = k == 1 ? (d >= lo && d <= hi) : (d >= 0x80 && d <= 0xBF);
        if (!ok) {
            bad = k;
            return 0;
        }
    }
    return len;
}

// The inside of a JSON string literal.
void append_escaped(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t run = 0, i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            std::size_t bad = 0;
            if (std::size_t len = utf8_sequence(s, i, bad)) {
                i += len;
                continue;
            }
            out.append(s.data() + run, i - run);
            out += "\xEF\xBF\xBD";  // U+FFFD, so the document stays valid UTF-8
            i += bad;
            run = i;
            continue;
        }
        out.append(s.data() + run, i - run);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 15];
        }
        ++i;
        run = i;
    }
    out.append(s.data() + run, s.size() - run);
}

void append_string(std::string& out, std::string_view s) {
    out += '"';
    append_escaped(out, s);
    out += '"';
}

// RFC 8259 §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. PostgreSQL's int and
// float output always matches, except NaN and [-]Infinity.
bool is_json_number(std::string_view s) {
    std::size_t i = 0, n = s.size();
    if (i < n && s[i] == '-') ++i;
    if (i >= n || !is_digit(s[i])) return false;
    if (s[i] == '0') {
        ++i;
    } else {
        while (i < n && is_digit(s[i]))
            ++i;
    }
    if (i < n && s[i] == '.') {
        ++i;
        if (i >= n || !is_digit(s[i])) return false;
        while (i < n && is_digit(s[i]))
            ++i;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
        if (i >= n || !is_digit(s[i])) return false;
        while (i < n && is_digit(s[i]))
            ++i;
    }
    return i == n;
}

bool is_float(Oid oid) {
    return oid == model::pg_type::kFloat4 || oid == model::pg_type::kFloat8;
}

void append_number_or_string(std::string& out, std::string_view v, Oid oid) {
    bool number = is_json_number(v);
    if (number && !is_float(oid)) {
        // Integers must fit int64, which every JSON reader handles; anything else
        // (not produced by int2/4/8 or oid, but cheap to rule out) is a string.
        std::int64_t n = 0;
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        number = ec == std::errc{} && ptr == v.data() + v.size();
    }
    if (number) {
        out.append(v);
    } else {
        append_string(out, v);
    }
}

void append_timestamp(std::string& out, std::string_view v) {
    // ISO DateStyle (libpq's and the server's default) prints "2024-01-01 10:00:00+00";
    // ISO 8601 wants 'T' there. Only a space between two digits is the separator,
    // so "infinity" and a trailing " BC" stay as they are.
    std::size_t sp = v.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp + 1 >= v.size() || !is_digit(v[sp - 1]) ||
        !is_digit(v[sp + 1])) {
        append_string(out, v);
        return;
    }
    out += '"';
    append_escaped(out, v.substr(0, sp));
    out += 'T';
    append_escaped(out, v.substr(sp + 1));
    out += '"';
}

void append_cell(std::string& out, std::string_view v, JsonKind kind, Oid oid) {
    switch (kind) {
        case JsonKind::Number:
            append_number_or_string(out, v, oid);
            return;
        case JsonKind::Bool:
            if (v == "t") {
                out += "true";
            } else if (v == "f") {
                out += "false";
            } else {
                append_string(out, v);
            }
            return;
        case JsonKind::Timestamp:
            append_timestamp(out, v);
            return;
        case JsonKind::Raw:
            // json is stored as given (validated on input) and jsonb prints valid JSON,
            // so this nearly always passes; accept() also rejects invalid UTF-8.
            if (nlohmann::json::accept(v.begin(), v.end())) {
                out.append(v);
            } else {
                append_string(out, v);
            }
            return;
        case JsonKind::String:
            append_string(out, v);
            return;
    }
}

void append_int(std::string& out, long long n) {
    char buf[24];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, ptr);
}

// Whole milliseconds: the contract's "elapsed_ms":N.
void append_ms(std::string& out, double ms) {
    append_int(out, std::isfinite(ms) ? std::llround(ms) : 0);
}

// Trace times keep a tenth of a millisecond; a negative time (never happened) is null.
void append_trace_ms(std::string& out, double ms) {
    if (!std::isfinite(ms) || ms < 0) {
        out += "null";
        return;
    }
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, ms, std::chars_format::fixed, 1);
    if (ec != std::errc{}) {
        out += "null";
        return;
    }
    out.append(buf, ptr);
}

void append_table(std::string& out, const Table& t) {
    std::size_t cols = t.columns();
    out += "\"columns\":[";
    for (std::size_t c = 0; c < cols; ++c) {
        if (c > 0) out += ',';
        out += "{\"name\":";
        append_string(out, t.column_name(c));
        out += ",\"type\":";
        append_string(out, model::type_name(t.column_type(c)));
        out += '}';
    }
    out += "],\"rows\":[";
    bool first = true;
    append_json_rows(out, t, first);  // the same rows as a page written in pieces
    out += ']';
}

// What follows a section's rows, in a whole page and in one written in pieces.
void append_section_tail(std::string& out, const SectionResult& s) {
    out += s.truncated ? ",\"truncated\":true" : ",\"truncated\":false";
    if (s.status == SectionStatus::Error) {
        out += ",\"error\":{\"sqlstate\":";
        append_string(out, s.sqlstate);
        out += ",\"message\":";
        append_string(out, s.message);
        out += '}';
    } else if (!s.message.empty()) {
        out += ",\"message\":";
        append_string(out, s.message);
    }
}

void append_section(std::string& out, const SectionResult& s, bool trace) {
    out += "{\"name\":";
    append_string(out, s.name);
    out += ",\"status\":\"";
    out += to_string(s.status);
    out += "\",\"elapsed_ms\":";
    append_ms(out, s.elapsed_ms);
    out += ',';
    if (s.status == SectionStatus::Ok) {
        append_table(out, s.table);
    } else {
        // Rows of an unfinished section would be a misleading fragment: none are shown.
        out += "\"columns\":[],\"rows\":[]";
    }
    append_section_tail(out, s);
    if (trace) {
        out += ",\"trace\":{\"wait_ms\":";
        append_trace_ms(out, s.wait_ms);
        out += ",\"begin_ms\":";
        append_trace_ms(out, s.begin_ms);
        out += ",\"end_ms\":";
        append_trace_ms(out, s.begin_ms < 0 ? -1 : s.end_ms);
        out += '}';
    }
    out += '}';
}

}  // namespace

std::string json_page(const PageResult& page, bool trace) {
    std::size_t estimate = 256;
    for (const auto& s : page.sections) {
        estimate += 128 + s.table.columns() * 40 + s.table.rows() * (s.table.columns() * 8 + 4);
    }
    std::string out;
    out.reserve(estimate);
    out += "{\"report\":";
    append_string(out, page.report);
    out += ",\"status\":\"";
    out += to_string(page.status);
    out += "\",\"elapsed_ms\":";
    append_ms(out, page.elapsed_ms);
    if (trace) {
        out += ",\"wait_ms\":";
        append_trace_ms(out, page.wait_ms);
    }
    out += ",\"sections\":[";
    for (std::size_t i = 0; i < page.sections.size(); ++i) {
        if (i > 0) out += ',';
        append_section(out, page.sections[i], trace);
    }
    out += "]}";
    return out;
}

std::string json_error(int status, std::string_view message, std::string_view param) {
    std::string out;
    out.reserve(64 + message.size() + param.size());
    out += "{\"error\":{\"status\":";
    append_int(out, status);
    out += ",\"message\":";
    append_string(out, message);
    if (!param.empty()) {
        out += ",\"param\":";
        append_string(out, param);
    }
    out += "}}";
    return out;
}

void append_json_string(std::string& out, std::string_view text) {
    append_string(out, text);
}

void append_json_page_open(std::string& out, const PageResult& page) {
    out += "{\"report\":";
    append_string(out, page.report);
    out += ",\"status\":\"";
    out += to_string(page.status);
    out += "\",\"elapsed_ms\":";
    append_ms(out, page.elapsed_ms);
    out += ",\"sections\":[";
}

void append_json_section_open(std::string& out, const SectionResult& s,
                              const std::vector<model::ColumnSpec>& columns, bool first) {
    if (!first) out += ',';
    out += "{\"name\":";
    append_string(out, s.name);
    out += ",\"status\":\"";
    out += to_string(s.status);
    out += "\",\"elapsed_ms\":";
    append_ms(out, s.elapsed_ms);
    out += ",\"columns\":[";
    if (s.status == SectionStatus::Ok) {
        for (std::size_t c = 0; c < columns.size(); ++c) {
            if (c > 0) out += ',';
            out += "{\"name\":";
            append_string(out, columns[c].name);
            out += ",\"type\":";
            append_string(out, model::type_name(columns[c].type));
            out += '}';
        }
    }
    out += "],\"rows\":[";
}

void append_json_rows(std::string& out, const Table& t, bool& first) {
    std::size_t cols = t.columns();
    std::vector<JsonKind> kinds(cols);
    std::vector<Oid> types(cols);
    for (std::size_t c = 0; c < cols; ++c) {
        types[c] = t.column_type(c);
        kinds[c] = json_kind(types[c]);
    }
    for (std::size_t r = 0; r < t.rows(); ++r) {
        if (!first) out += ',';
        first = false;
        out += '[';
        for (std::size_t c = 0; c < cols; ++c) {
            if (c > 0) out += ',';
            if (t.is_null(r, c)) {
                out += "null";
            } else {
                append_cell(out, t.value(r, c), kinds[c], types[c]);
            }
        }
        out += ']';
    }
}

void append_json_section_close(std::string& out, const SectionResult& s) {
    out += ']';
    append_section_tail(out, s);
    out += '}';
}

void append_json_page_close(std::string& out) {
    out += "]}";
}

}  // namespace asyncpage::render
