// Cell values for people: thousands grouped, numeric's scale kept, timestamps to
// the second, and the `-- format:` kinds. Works on PostgreSQL's text output, so a
// numeric with 30 digits is grouped and rounded exactly, without a double between.
#include "render/value_format.hpp"

#include <charconv>
#include <cmath>

#include "model/pg_types.hpp"
#include "render/job_html.hpp"  // parse_timestamp

namespace asyncpage::render {
namespace {

using reports::ColumnFormat;
using reports::FormatKind;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// -?DIGITS[.DIGITS]: how PostgreSQL writes int and numeric values.
bool is_plain_decimal(std::string_view s) {
    std::size_t i = s.size() > 0 && s[0] == '-' ? 1 : 0;
    std::size_t start = i;
    while (i < s.size() && is_digit(s[i]))
        ++i;
    if (i == start) return false;
    if (i == s.size()) return true;
    if (s[i] != '.') return false;
    std::size_t frac = ++i;
    while (i < s.size() && is_digit(s[i]))
        ++i;
    return i == s.size() && i > frac;
}

bool is_number_type(Oid oid) {
    namespace t = model::pg_type;
    switch (oid) {
        case t::kInt8:
        case t::kInt2:
        case t::kInt4:
        case t::kOid:
        case t::kFloat4:
        case t::kFloat8:
        case t::kNumeric:
            return true;
        default:
            return false;
    }
}

bool is_time_type(Oid oid) {
    namespace t = model::pg_type;
    return oid == t::kDate || oid == t::kTimestamp || oid == t::kTimestamptz;
}

// "2026-11-28 20:02:02...": a timestamp as PostgreSQL's ISO DateStyle writes it.
bool looks_like_timestamp(std::string_view s) {
    return s.size() >= 19 && is_digit(s[0]) && s[4] == '-' && s[7] == '-' &&
           (s[10] == ' ' || s[10] == 'T') && s[13] == ':' && s[16] == ':';
}

bool looks_like_date(std::string_view s) {
    return s.size() >= 10 && is_digit(s[0]) && s[4] == '-' && s[7] == '-' &&
           (s.size() == 10 || s[10] == ' ' || s[10] == 'T');
}

void append_double(std::string& out, double v, int decimals) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    out.append(buf, r.ptr);
}

// group_thousands appended to `out`: a cell's text is built in place, in the
// buffer FormattedValue keeps from cell to cell, without a string per cell.
void append_grouped(std::string& out, std::string_view decimal) {
    if (!is_plain_decimal(decimal)) {
        out.append(decimal);
        return;
    }
    std::size_t sign = decimal[0] == '-' ? 1 : 0;
    std::size_t dot = decimal.find('.');
    std::size_t int_end = dot == std::string_view::npos ? decimal.size() : dot;
    std::size_t digits = int_end - sign;
    out.append(decimal.substr(0, sign));
    for (std::size_t i = 0; i < digits; ++i) {
        if (i > 0 && (digits - i) % 3 == 0) out += ',';
        out += decimal[sign + i];
    }
    out.append(decimal.substr(int_end));
}

// A double as a plain decimal with `decimals` places (-1: shortest exact form),
// for float values, which may come in exponent notation.
std::string decimal_of(double v, int decimals) {
    std::string s;
    if (decimals >= 0) {
        append_double(s, v, decimals);
    } else {
        char buf[64];
        auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
        s.append(buf, r.ptr);
    }
    return s;
}

// The number `value` with `decimals` places (-1: as it has them), grouped; nullopt
// when it is not a finite number.
std::optional<std::string> grouped_number(std::string_view value, int decimals) {
    if (is_plain_decimal(value)) {
        if (decimals < 0) return group_thousands(value);
        auto r = round_decimal(value, decimals);
        return r ? std::optional(group_thousands(*r)) : std::nullopt;
    }
    auto v = parse_number(value);
    if (!v) return std::nullopt;
    return group_thousands(decimal_of(*v, decimals));
}

// "0.125" → "12.5": the decimal point moved two places right, exactly.
std::optional<std::string> times_hundred(std::string_view value) {
    if (!is_plain_decimal(value)) {
        auto v = parse_number(value);
        if (!v) return std::nullopt;
        return decimal_of(*v * 100, 6);
    }
    bool neg = value[0] == '-';
    std::string_view digits = value.substr(neg ? 1 : 0);
    std::size_t dot = digits.find('.');
    std::string whole(digits.substr(0, dot));
    std::string frac(dot == std::string_view::npos ? "" : digits.substr(dot + 1));
    frac.resize(std::max<std::size_t>(frac.size(), 2), '0');
    whole += frac.substr(0, 2);
    frac.erase(0, 2);
    std::size_t lead = 0;
    while (lead + 1 < whole.size() && whole[lead] == '0')
        ++lead;
    std::string out = neg ? "-" : "";
    out += whole.substr(lead);
    if (!frac.empty()) out += "." + frac;
    return out;
}

void format_number_cell(std::string_view value, int decimals, FormattedValue& out) {
    // The common case (a column shown as it comes): grouped in place.
    if (decimals < 0 && is_plain_decimal(value)) {
        out.text.clear();
        append_grouped(out.text, value);
        return;
    }
    if (auto g = grouped_number(value, decimals)) {
        out.text = std::move(*g);
    } else {
        out.text.assign(value);
    }
}

void format_time_cell(std::string_view value, bool date_only, FormattedValue& out) {
    if (parse_time(value)) {
        // Truncated, as date_trunc does: "20:02:02.9" is still 20:02:02.
        std::size_t keep = date_only ? 10 : 19;
        if (looks_like_timestamp(value) || (date_only && looks_like_date(value))) {
            if (value.size() > keep) {
                out.text.assign(value.substr(0, keep));
                if (keep > 10 && out.text[10] == 'T') out.text[10] = ' ';
                out.title.assign(value);
                return;
            }
        }
    }
    out.text.assign(value);
}

}  // namespace

ValueClass value_class(Oid type, const ColumnFormat* format) {
    if (format) {
        switch (format->kind) {
            case FormatKind::Number:
            case FormatKind::Money:
            case FormatKind::Percent:
            case FormatKind::Bytes:
                return ValueClass::Number;
            case FormatKind::Date:
            case FormatKind::Datetime:
                return ValueClass::Time;
            case FormatKind::Raw:
                break;
        }
    }
    if (is_number_type(type)) return ValueClass::Number;
    if (is_time_type(type)) return ValueClass::Time;
    return ValueClass::Text;
}

void format_value(std::string_view value, Oid type, const ColumnFormat* format,
                  FormattedValue& out) {
    out.text.clear();
    out.title.clear();
    out.sort.clear();
    const FormatKind kind = format ? format->kind : FormatKind::Raw;
    if (format && kind == FormatKind::Raw) {
        out.text.assign(value);
        return;
    }
    switch (kind) {
        case FormatKind::Number:
            format_number_cell(value, format->decimals, out);
            return;
        case FormatKind::Money:
            format_number_cell(value, 2, out);
            return;
        case FormatKind::Percent:
            if (auto p = times_hundred(value)) {
                if (auto r = round_decimal(*p, 1)) {
                    if (r->size() > 2 && r->substr(r->size() - 2) == ".0") r->resize(r->size() - 2);
                    out.text = group_thousands(*r) + "%";
                    out.title.assign(value);
                    return;
                }
            }
            out.text.assign(value);
            return;
        case FormatKind::Bytes:
            if (auto v = parse_number(value)) {
                out.text = format_bytes(*v);
                out.sort.assign(value);
                if (auto g = grouped_number(value, -1)) out.title = *g + " bytes";
                return;
            }
            out.text.assign(value);
            return;
        case FormatKind::Date:
            format_time_cell(value, true, out);
            return;
        case FormatKind::Datetime:
            format_time_cell(value, false, out);
            return;
        case FormatKind::Raw:
            break;
    }
    // No format: by type.
    if (is_number_type(type)) {
        format_number_cell(value, -1, out);
    } else if (type == model::pg_type::kTimestamp || type == model::pg_type::kTimestamptz) {
        format_time_cell(value, false, out);
    } else if (type == model::pg_type::kDate) {
        format_time_cell(value, true, out);
    } else {
        out.text.assign(value);
    }
}

std::string group_thousands(std::string_view decimal) {
    std::string out;
    append_grouped(out, decimal);
    return out;
}

std::optional<std::string> round_decimal(std::string_view decimal, int decimals) {
    if (!is_plain_decimal(decimal) || decimals < 0) return std::nullopt;
    bool neg = decimal[0] == '-';
    std::string_view body = decimal.substr(neg ? 1 : 0);
    std::size_t dot = body.find('.');
    std::string whole(body.substr(0, dot));
    std::string frac(dot == std::string_view::npos ? "" : body.substr(dot + 1));
    const auto d = static_cast<std::size_t>(decimals);
    bool up = frac.size() > d && frac[d] >= '5';
    frac.resize(d, '0');
    std::string digits = whole + frac;
    if (up) {
        std::size_t i = digits.size();
        while (i > 0) {
            --i;
            if (digits[i] == '9') {
                digits[i] = '0';
                if (i == 0) digits.insert(digits.begin(), '1');
            } else {
                ++digits[i];
                break;
            }
        }
    }
    std::string int_part = digits.substr(0, digits.size() - d);
    std::string frac_part = digits.substr(digits.size() - d);
    std::size_t lead = 0;
    while (lead + 1 < int_part.size() && int_part[lead] == '0')
        ++lead;
    int_part.erase(0, lead);
    bool zero = int_part == "0" && frac_part.find_first_not_of('0') == std::string::npos;
    std::string out = neg && !zero ? "-" : "";  // never "-0.00"
    out += int_part;
    if (d > 0) out += "." + frac_part;
    return out;
}

std::optional<double> parse_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::string_view t = text;
    if (t[0] == '+') t.remove_prefix(1);
    double v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::optional<double> parse_time(std::string_view text) {
    if (text.size() == 10 && looks_like_date(text)) {
        std::string full(text);
        full += " 00:00:00";
        return parse_time(full);
    }
    auto t = parse_timestamp(text);
    if (!t) return std::nullopt;
    return std::chrono::duration<double>(t->time_since_epoch()).count();
}

std::string format_bytes(double bytes) {
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = bytes;
    std::size_t u = 0;
    while (std::fabs(v) >= 1024 && u + 1 < std::size(kUnits)) {
        v /= 1024;
        ++u;
    }
    std::string out;
    if (u == 0) {
        append_double(out, v, std::fabs(v - std::round(v)) < 1e-9 ? 0 : 1);
    } else {
        append_double(out, v, 1);
    }
    out += ' ';
    out += kUnits[u];
    return out;
}

}  // namespace asyncpage::render
