// Durations ("250ms", "1.5s", "1h") and sizes ("1MB", "512K") as they appear in the
// config file, environment overrides and report headers. Parsing is strict on
// purpose: a typo in a timeout should stop the server at start, not be guessed at.
// format_seconds is the one way a duration is written back in messages.
#include "core/units.hpp"
#include "core/text.hpp"

#include <cstdint>
#include <limits>
#include <string>

namespace asyncpage {
namespace {
using text::is_digit;
using text::is_space;
using text::lower;
using text::trim;

// a * b + c without wrapping; nullopt on overflow of int64.
std::optional<std::int64_t> mul_add(std::int64_t a, std::int64_t b, std::int64_t c) {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    if (b != 0 && a > (max - c) / b) return std::nullopt;
    return a * b + c;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    std::string_view s = trim(text);
    std::size_t i = 0;
    // Integer part: at least one digit. No sign: a negative duration is never meant.
    std::int64_t whole = 0;
    std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) {
        auto next = mul_add(whole, 10, s[i] - '0');
        if (!next) return std::nullopt;
        whole = *next;
        ++i;
    }
    if (i == start) return std::nullopt;
    // Optional fraction ("1.5s"); kept as digits so that the result is exact.
    std::string_view frac;
    if (i < s.size() && s[i] == '.') {
        std::size_t f = ++i;
        while (i < s.size() && is_digit(s[i]))
            ++i;
        frac = s.substr(f, i - f);
        if (frac.empty()) return std::nullopt;
    }
    while (i < s.size() && is_space(s[i]))
        ++i;
    std::string unit = lower(s.substr(i));
    std::int64_t unit_ms = 0;
    if (unit.empty() || unit == "s") {
        unit_ms = 1000;
    } else if (unit == "ms") {
        unit_ms = 1;
    } else if (unit == "m") {
        unit_ms = 60 * 1000;
    } else if (unit == "h") {
        unit_ms = 3600 * 1000;
    } else if (unit == "d") {
        unit_ms = 24 * 3600 * 1000;
    } else {
        return std::nullopt;
    }
    auto total = mul_add(whole, unit_ms, 0);
    if (!total) return std::nullopt;
    if (!frac.empty()) {
        // fraction * unit_ms must come out as whole milliseconds: "1.5s" is fine,
        // "1.0005s" or "0.5ms" is rejected rather than silently rounded.
        while (!frac.empty() && frac.back() == '0')
            frac.remove_suffix(1);
        // Nine significant digits keep num * unit_ms within int64 (< 1e9 * 8.64e7).
        if (frac.size() > 9) return std::nullopt;
        std::int64_t num = 0, den = 1;
        for (char c : frac) {
            num = num * 10 + (c - '0');
            den *= 10;
        }
        std::int64_t prod = num * unit_ms;
        if (prod % den != 0) return std::nullopt;
        std::int64_t extra = prod / den;
        if (*total > std::numeric_limits<std::int64_t>::max() - extra) return std::nullopt;
        *total += extra;
    }
    return std::chrono::milliseconds(*total);
}

std::string format_seconds(std::chrono::milliseconds d) {
    std::int64_t ms = d.count();
    std::string out;
    if (ms < 0) out += '-';
    // In unsigned arithmetic so that the most negative count has a magnitude too.
    std::uint64_t mag =
        ms < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(ms) : static_cast<std::uint64_t>(ms);
    out += std::to_string(mag / 1000);
    if (std::uint64_t frac = mag % 1000) {
        char digits[3] = {char('0' + frac / 100), char('0' + frac / 10 % 10),
                          char('0' + frac % 10)};
        std::size_t len = 3;
        while (digits[len - 1] == '0')
            --len;
        out += '.';
        out.append(digits, len);
    }
    return out;
}

std::optional<std::size_t> parse_size(std::string_view text) {
    std::string_view s = trim(text);
    std::size_t i = 0;
    std::int64_t n = 0;
    while (i < s.size() && is_digit(s[i])) {
        auto next = mul_add(n, 10, s[i] - '0');
        if (!next) return std::nullopt;
        n = *next;
        ++i;
    }
    if (i == 0) return std::nullopt;
    while (i < s.size() && is_space(s[i]))
        ++i;
    std::string unit = lower(s.substr(i));
    std::int64_t factor = 0;
    if (unit.empty() || unit == "b") {
        factor = 1;
    } else if (unit == "k" || unit == "kb" || unit == "kib") {
        factor = std::int64_t{1} << 10;
    } else if (unit == "m" || unit == "mb" || unit == "mib") {
        factor = std::int64_t{1} << 20;
    } else if (unit == "g" || unit == "gb" || unit == "gib") {
        factor = std::int64_t{1} << 30;
    } else {
        return std::nullopt;
    }
    auto bytes = mul_add(n, factor, 0);
    if (!bytes) return std::nullopt;
    if (static_cast<std::uint64_t>(*bytes) > std::numeric_limits<std::size_t>::max()) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(*bytes);
}

}  // namespace asyncpage
