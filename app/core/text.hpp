#pragma once
// ASCII text helpers shared by the parsers (config, report files, params, units,
// writers): the character classes, trimming, case folding and the spellings of a
// boolean. ASCII only on purpose: keywords, units and type names are ASCII, and
// values are never case-folded. Nothing here depends on the C locale.
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

namespace asyncpage::text {

// ---- character classes ------------------------------------------------------------

// ' ', '\t', '\n', '\r': the blanks of config values, header lines and units.
inline bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
// is_space and '\f': whitespace as PostgreSQL's SQL lexer sees it (scan.l `space`),
// also used for the words of a `-- param:` line.
inline bool is_sql_space(char c) {
    return is_space(c) || c == '\f';
}
inline bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
inline bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool is_alnum(char c) {
    return is_alpha(c) || is_digit(c);
}
// Plain ASCII identifiers ([A-Za-z_][A-Za-z0-9_]*): param, section and header key
// names, `:name` placeholders.
inline bool is_name_start(char c) {
    return is_alpha(c) || c == '_';
}
inline bool is_name_char(char c) {
    return is_name_start(c) || is_digit(c);
}

inline bool is_identifier(std::string_view s) {
    if (s.empty() || !is_name_start(s[0])) return false;
    for (char c : s) {
        if (!is_name_char(c)) return false;
    }
    return true;
}

// True when `s` is one or more digits and nothing else.
inline bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (!is_digit(c)) return false;
    }
    return true;
}

// ---- trimming and case --------------------------------------------------------------

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

// A whole decimal integer (optional '-'), as a query parameter spells one.
inline bool parse_int(std::string_view s, long long& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

inline char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = lower(c);
    return out;
}

// ASCII case-insensitive equality ("CSV" == "csv").
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

inline std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

// ---- booleans -----------------------------------------------------------------------

// Which spellings of a boolean a caller accepts, always ASCII case-insensitive and
// never trimmed. Each level accepts everything the one before it does. The levels
// are what each place accepted when they were separate functions; widening one is
// a change of its contract, so callers pick theirs:
//   Words          true, false                          report headers (parallel:, job:)
//   WordsOrDigits  + 1, 0                               config values from the environment
//   Postgres       + t, f, yes, no, on, off             `bool` params (as PostgreSQL's boolin,
//                                                        without its prefixes and blanks)
enum class BoolSpelling { Words, WordsOrDigits, Postgres };

inline std::optional<bool> parse_bool(std::string_view s, BoolSpelling spelling) {
    const std::string v = lower(s);
    if (v == "true") return true;
    if (v == "false") return false;
    if (spelling == BoolSpelling::Words) return std::nullopt;
    if (v == "1") return true;
    if (v == "0") return false;
    if (spelling == BoolSpelling::WordsOrDigits) return std::nullopt;
    if (v == "t" || v == "yes" || v == "on") return true;
    if (v == "f" || v == "no" || v == "off") return false;
    return std::nullopt;
}

}  // namespace asyncpage::text
