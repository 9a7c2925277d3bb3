// Validation and normalisation of request values against a report's declared
// params. This sees raw user input, so nothing here throws or trusts lengths:
// every value is checked for NUL bytes and UTF-8 before its type, and numbers are
// parsed with std::from_chars or compared as digit strings (no overflow, no UB).
#include "reports/params.hpp"
#include "core/text.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

namespace asyncpage::reports {
namespace {
using text::all_digits;

// Number of code points, or nullopt when `s` is not valid UTF-8 (overlong forms,
// surrogates and values above U+10FFFF included): PostgreSQL would reject those
// at bind time with a SQL error, and the user deserves a 400 naming the param.
std::optional<std::size_t> utf8_length(std::string_view s) {
    std::size_t count = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            len = 1;
            cp = c;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return std::nullopt;
        }
        if (i + len > s.size()) return std::nullopt;
        for (std::size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return std::nullopt;
            cp = (cp << 6) | (cc & 0x3F);
        }
        static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return std::nullopt;
        }
        i += len;
        ++count;
    }
    return count;
}

// The value as echoed in an error message: at most 60 code points, control
// characters shown as '?'. Only called on valid UTF-8.
std::string echo(std::string_view s) {
    constexpr std::size_t limit = 60;
    std::string out;
    std::size_t points = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if ((c & 0xC0) != 0x80) {  // start of a code point
            if (points == limit) {
                out += "...";
                break;
            }
            ++points;
        }
        out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
    }
    return out;
}

// -?digits → the canonical decimal ("007" → "7", "-0" → "0"); nullopt when not
// an integer or outside [lo, hi].
std::optional<std::string> normalise_integer(std::string_view s, long long lo, long long hi) {
    std::string_view digits = (!s.empty() && s[0] == '-') ? s.substr(1) : s;
    if (!all_digits(digits)) return std::nullopt;
    long long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    if (v < lo || v > hi) return std::nullopt;
    return std::to_string(v);
}

bool is_numeric(std::string_view s) {
    if (!s.empty() && s[0] == '-') s.remove_prefix(1);
    auto dot = s.find('.');
    if (dot == std::string_view::npos) return all_digits(s);
    return all_digits(s.substr(0, dot)) && all_digits(s.substr(dot + 1));
}

// Exact comparison of two strings that passed is_numeric: no conversion, so a
// 400-digit value compares correctly and cheaply.
int compare_numeric(std::string_view a, std::string_view b) {
    struct Parts {
        bool negative;
        std::string_view whole, frac;
    };
    auto split = [](std::string_view s) {
        Parts p{false, {}, {}};
        if (!s.empty() && s[0] == '-') {
            p.negative = true;
            s.remove_prefix(1);
        }
        auto dot = s.find('.');
        p.whole = s.substr(0, dot);
        p.frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
        while (!p.whole.empty() && p.whole.front() == '0')
            p.whole.remove_prefix(1);
        while (!p.frac.empty() && p.frac.back() == '0')
            p.frac.remove_suffix(1);
        if (p.whole.empty() && p.frac.empty()) p.negative = false;  // -0 == 0
        return p;
    };
    Parts x = split(a), y = split(b);
    if (x.negative != y.negative) return x.negative ? -1 : 1;
    int magnitude = 0;
    if (x.whole.size() != y.whole.size()) {
        magnitude = x.whole.size() < y.whole.size() ? -1 : 1;
    } else if (int c = x.whole.compare(y.whole); c != 0) {
        magnitude = c < 0 ? -1 : 1;
    } else if (int f = x.frac.compare(y.frac); f != 0) {
        // Trailing zeros are gone, so digit-wise order is numeric order.
        magnitude = f < 0 ? -1 : 1;
    }
    return x.negative ? -magnitude : magnitude;
}

bool is_leap(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int two_digits(std::string_view s, std::size_t at) {
    return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

// YYYY-MM-DD with a real calendar check. Year 0 does not exist in PostgreSQL's
// (proleptic Gregorian, AD) dates, so the range is 0001..9999.
bool is_date(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    if (!all_digits(s.substr(0, 4)) || !all_digits(s.substr(5, 2)) || !all_digits(s.substr(8, 2))) {
        return false;
    }
    int year = two_digits(s, 0) * 100 + two_digits(s, 2);
    int month = two_digits(s, 5);
    int day = two_digits(s, 8);
    static constexpr int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || month < 1 || month > 12 || day < 1) return false;
    int last = days_in[month - 1] + (month == 2 && is_leap(year) ? 1 : 0);
    return day <= last;
}

// YYYY-MM-DD[T ]HH:MM[:SS[.f{1,6}]] → "YYYY-MM-DD HH:MM:SS[.f]", with trailing zeros
// of the fraction dropped so that equal instants compare equal as strings.
std::optional<std::string> normalise_timestamp(std::string_view s) {
    if (s.size() < 16 || !is_date(s.substr(0, 10))) return std::nullopt;
    if (s[10] != ' ' && s[10] != 'T' && s[10] != 't') return std::nullopt;
    std::string_view t = s.substr(11);
    auto hh_mm_ok = [](std::string_view v, std::size_t at, int max) {
        return all_digits(v.substr(at, 2)) && two_digits(v, at) <= max;
    };
    if (t.size() < 5 || t[2] != ':' || !hh_mm_ok(t, 0, 23) || !hh_mm_ok(t, 3, 59)) {
        return std::nullopt;
    }
    std::string out(s.substr(0, 10));
    out += ' ';
    out += t.substr(0, 5);
    if (t.size() == 5) return out + ":00";
    if (t.size() < 8 || t[5] != ':' || !hh_mm_ok(t, 6, 59)) return std::nullopt;
    out += t.substr(5, 3);
    if (t.size() == 8) return out;
    std::string_view frac = t.substr(9);
    if (t[8] != '.' || frac.empty() || frac.size() > 6 || !all_digits(frac)) return std::nullopt;
    while (!frac.empty() && frac.back() == '0')
        frac.remove_suffix(1);
    if (!frac.empty()) {
        out += '.';
        out += frac;
    }
    return out;
}

// The value in its canonical form for its type, ignoring min/max/maxlen.
std::optional<std::string> normalise(const ParamSpec& spec, std::string_view s) {
    switch (spec.type) {
        case ParamType::Text:
            return std::string(s);
        case ParamType::Int:
            return normalise_integer(s, std::numeric_limits<std::int32_t>::min(),
                                     std::numeric_limits<std::int32_t>::max());
        case ParamType::Bigint:
            return normalise_integer(s, std::numeric_limits<long long>::min(),
                                     std::numeric_limits<long long>::max());
        case ParamType::Numeric:
            if (!is_numeric(s)) return std::nullopt;
            return std::string(s);  // PostgreSQL normalises; keep what was given
        case ParamType::Bool: {
            auto b = text::parse_bool(s, text::BoolSpelling::Postgres);
            if (!b) return std::nullopt;
            return *b ? "true" : "false";
        }
        case ParamType::Date:
            if (!is_date(s)) return std::nullopt;
            return std::string(s);
        case ParamType::Timestamp:
            return normalise_timestamp(s);
        case ParamType::Enum:
            for (const auto& v : spec.enum_values) {
                if (v == s) return v;
            }
            return std::nullopt;
    }
    return std::nullopt;
}

// <0, 0, >0 for two normalised values of the same type.
int compare(ParamType type, const std::string& a, const std::string& b) {
    switch (type) {
        case ParamType::Int:
        case ParamType::Bigint: {
            long long x = 0, y = 0;
            std::from_chars(a.data(), a.data() + a.size(), x);
            std::from_chars(b.data(), b.data() + b.size(), y);
            return x < y ? -1 : (x > y ? 1 : 0);
        }
        case ParamType::Numeric:
            return compare_numeric(a, b);
        default:
            // Dates and normalised timestamps order correctly as strings.
            return a.compare(b);
    }
}

// What the value should have been, for messages: "an integer between 1 and 10".
std::string expectation(const ParamSpec& spec) {
    std::string what;
    switch (spec.type) {
        case ParamType::Text:
            what = "text";
            break;
        case ParamType::Int:
            what = "an integer";
            break;
        case ParamType::Bigint:
            what = "an integer";
            break;
        case ParamType::Numeric:
            what = "a number";
            break;
        case ParamType::Bool:
            return "true or false";
        case ParamType::Date:
            what = "a date (YYYY-MM-DD)";
            break;
        case ParamType::Timestamp:
            what = "a timestamp (YYYY-MM-DD HH:MM[:SS])";
            break;
        case ParamType::Enum: {
            what = "one of ";
            for (std::size_t i = 0; i < spec.enum_values.size(); ++i) {
                if (i > 0) what += ", ";
                what += spec.enum_values[i];
            }
            return what;
        }
    }
    if (spec.min && spec.max) {
        what += " between " + *spec.min + " and " + *spec.max;
    } else if (spec.min) {
        what += " >= " + *spec.min;
    } else if (spec.max) {
        what += " <= " + *spec.max;
    }
    return what;
}

ValueCheck fail(std::string problem) {
    return ValueCheck{std::nullopt, std::move(problem)};
}

}  // namespace

ValueCheck check_value(const ParamSpec& spec, std::string_view text) {
    // libpq passes parameters as C strings: a NUL would silently truncate the value.
    if (text.find('\0') != std::string_view::npos) return fail("must not contain NUL bytes");
    auto length = utf8_length(text);
    if (!length) return fail("must be valid UTF-8");
    auto value = normalise(spec, text);
    if (!value) return fail("must be " + expectation(spec) + ", got \"" + echo(text) + "\"");
    if (spec.type == ParamType::Text) {
        if (spec.maxlen && *length > *spec.maxlen) {
            return fail("must be at most " + std::to_string(*spec.maxlen) +
                        " characters long, got " + std::to_string(*length));
        }
        return ValueCheck{std::move(value), {}};
    }
    if ((spec.min && compare(spec.type, *value, *spec.min) < 0) ||
        (spec.max && compare(spec.type, *value, *spec.max) > 0)) {
        return fail("must be " + expectation(spec) + ", got \"" + echo(text) + "\"");
    }
    return ValueCheck{std::move(value), {}};
}

std::variant<BoundValues, ParamError> validate_params(const Report& report,
                                                      const http::Fields& given) {
    BoundValues bound;
    bound.reserve(report.params.size());
    for (const ParamSpec& spec : report.params) {
        // The first value wins when a name repeats (as http::find_field does; not
        // called here so that reports needs nothing linked from http).
        const std::string* text = nullptr;
        for (const auto& [key, value] : given) {
            if (key == spec.name) {
                text = &value;
                break;
            }
        }
        // An HTML form sends every field, empty or not: an empty value for anything
        // but text means "not given", so the default applies.
        if (text && text->empty() && spec.type != ParamType::Text) text = nullptr;
        if (!text) {
            if (spec.required) return ParamError{spec.name, spec.name + ": is required"};
            bound.push_back(spec.default_value);
            continue;
        }
        ValueCheck check = check_value(spec, *text);
        if (!check.value) return ParamError{spec.name, spec.name + ": " + check.problem};
        bound.push_back(std::move(check.value));
    }
    return bound;
}

bool mentions_any_param(const Report& report, const http::Fields& given) {
    for (const auto& [key, value] : given) {
        for (const ParamSpec& spec : report.params) {
            if (spec.name == key) return true;
        }
    }
    return false;
}

}  // namespace asyncpage::reports
