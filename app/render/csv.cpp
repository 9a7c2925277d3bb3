// CSV writer (RFC 4180) with the OWASP formula-injection guard. Fields are scanned
// once and appended in runs, so a row costs no allocation; the streaming path calls
// append_csv_rows once per single-row PGresult.
#include "render/csv.hpp"

#include <array>

#include "core/text.hpp"

namespace asyncpage::render {
namespace {

// Bytes that force a field into quotes.
constexpr std::array<bool, 256> needs_quotes = [] {
    std::array<bool, 256> t{};
    // ';' too: Excel in locales whose list separator is ';' splits fields there, so
    // an unquoted x;=HYPERLINK(..) would become a formula cell.
    t[','] = t[';'] = t['"'] = t['\r'] = t['\n'] = true;
    return t;
}();

using text::is_digit;

// [+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)? : what a spreadsheet
// reads as a number, never as a formula, so it may keep its leading sign.
bool is_plain_number(std::string_view s) {
    std::size_t i = 0, n = s.size();
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t int_digits = 0, frac_digits = 0;
    while (i < n && is_digit(s[i]))
        ++i, ++int_digits;
    if (i < n && s[i] == '.') {
        ++i;
        while (i < n && is_digit(s[i]))
            ++i, ++frac_digits;
    }
    if (int_digits + frac_digits == 0) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
        std::size_t exp_digits = 0;
        while (i < n && is_digit(s[i]))
            ++i, ++exp_digits;
        if (exp_digits == 0) return false;
    }
    return i == n;
}

bool needs_guard(std::string_view s) {
    switch (s.front()) {
        case '=':
        case '@':
        case '\t':
        case '\r':
            return true;
        case '+':
        case '-':
            return !is_plain_number(s);
        default:
            return false;
    }
}

void reserve_more(std::string& out, std::size_t n) {
    if (out.capacity() - out.size() < n) out.reserve(std::max(out.size() + n, 2 * out.capacity()));
}

}  // namespace

void append_csv_field(std::string& out, std::string_view value, bool is_null) {
    if (is_null) return;
    if (value.empty()) {
        out += "\"\"";
        return;
    }
    bool guard = needs_guard(value);
    bool quote = guard;
    if (!quote) {
        for (char c : value) {
            if (needs_quotes[static_cast<unsigned char>(c)]) {
                quote = true;
                break;
            }
        }
    }
    if (!quote) {
        out.append(value);
        return;
    }
    out += '"';
    if (guard) out += '\'';
    // Double every '"', appending the runs between them.
    for (;;) {
        std::size_t q = value.find('"');
        if (q == std::string_view::npos) break;
        out.append(value.data(), q + 1);
        out += '"';
        value.remove_prefix(q + 1);
    }
    out.append(value);
    out += '"';
}

void append_csv_header(std::string& out, const PGresult* result) {
    int n = PQnfields(result);
    for (int c = 0; c < n; ++c) {
        if (c > 0) out += ',';
        append_csv_field(out, PQfname(result, c), false);
    }
    out += "\r\n";
}

void append_csv_rows(std::string& out, const PGresult* result) {
    int rows = PQntuples(result);
    int cols = PQnfields(result);
    // Unquoted size plus a separator per field; quoting is rare enough to leave to
    // the string's own growth.
    std::size_t need = 0;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c)
            need += static_cast<std::size_t>(PQgetlength(result, r, c)) + 1;
        need += 2;
    }
    reserve_more(out, need);
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            if (c > 0) out += ',';
            append_csv_field(out,
                             std::string_view(PQgetvalue(result, r, c),
                                              static_cast<std::size_t>(PQgetlength(result, r, c))),
                             PQgetisnull(result, r, c) != 0);
        }
        out += "\r\n";
    }
}

void append_csv_header(std::string& out, const Table& table) {
    for (std::size_t c = 0; c < table.columns(); ++c) {
        if (c > 0) out += ',';
        append_csv_field(out, table.column_name(c), false);
    }
    out += "\r\n";
}

void append_csv_rows(std::string& out, const Table& table) {
    std::size_t cols = table.columns();
    for (std::size_t r = 0; r < table.rows(); ++r) {
        for (std::size_t c = 0; c < cols; ++c) {
            if (c > 0) out += ',';
            append_csv_field(out, table.value(r, c), table.is_null(r, c));
        }
        out += "\r\n";
    }
}

void append_csv_error(std::string& out, std::string_view sqlstate, std::string_view message) {
    out += "#ERROR,";
    append_csv_field(out, sqlstate, false);
    out += ',';
    append_csv_field(out, message, false);
    out += "\r\n";
}

}  // namespace asyncpage::render
