// Report files (DESIGN §2): the `-- key: value` header, `-- section:` splitting,
// and the SQL scanner that finds `:name` placeholders while skipping literals,
// quoted identifiers, comments and dollar-quoted bodies the way PostgreSQL's lexer
// does. The scanner never throws: it also runs on SQL nobody has checked yet.
#include "reports/parser.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/units.hpp"
#include "reports/params.hpp"

namespace asyncpage::reports {
namespace {
using text::lower;
using text::trim;

// ---------------------------------------------------------------------------
// SQL scanning

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
// Placeholder names are plain ASCII identifiers.
bool is_name_start(char c) {
    return is_alpha(c) || c == '_';
}
bool is_name_char(char c) {
    return is_name_start(c) || is_digit(c);
}
// PostgreSQL identifier characters: letters, digits, '_', '$' and any non-ASCII
// byte (scan.l: ident_cont).
bool is_ident_char(char c) {
    return is_name_char(c) || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}
// Dollar-quote tags are identifiers without '$' (scan.l: dolq_start/dolq_cont).
bool is_tag_char(char c) {
    return is_name_char(c) || static_cast<unsigned char>(c) >= 0x80;
}

struct Placeholder {
    std::size_t offset = 0;  // of the ':'
    std::size_t length = 0;  // ':' and the name
    std::string name;
};

struct Scan {
    std::vector<Placeholder> placeholders;
    std::vector<std::size_t> positional;    // "$1" parameters written by hand
    std::vector<std::size_t> semicolons;    // outside literals and comments
    std::optional<std::size_t> first_code;  // first token that is not ';'
    std::optional<std::size_t> last_code;   // last token that is not ';'
    std::optional<std::size_t> unterminated;
    const char* unterminated_what = "";
};

// One pass over `sql` in the lexer's terms. Literal and comment bodies are skipped
// whole, so nothing inside them can look like a placeholder.
Scan scan_sql(std::string_view sql) {
    Scan out;
    const std::size_t n = sql.size();
    auto at = [&](std::size_t k) -> char { return k < n ? sql[k] : '\0'; };
    auto unterminated = [&](std::size_t start, const char* what) {
        out.unterminated = start;
        out.unterminated_what = what;
    };
    std::size_t i = 0;
    while (i < n) {
        const char c = sql[i];
        if (is_space(c)) {
            ++i;
            continue;
        }
        if (c == '-' && at(i + 1) == '-') {  // line comment
            while (i < n && sql[i] != '\n')
                ++i;
            continue;
        }
        if (c == '/' && at(i + 1) == '*') {  // block comments nest in PostgreSQL
            std::size_t start = i;
            int depth = 1;
            i += 2;
            while (i < n && depth > 0) {
                if (sql[i] == '/' && at(i + 1) == '*') {
                    ++depth;
                    i += 2;
                } else if (sql[i] == '*' && at(i + 1) == '/') {
                    --depth;
                    i += 2;
                } else {
                    ++i;
                }
            }
            if (depth > 0) unterminated(start, "comment");
            continue;
        }
        if (c == ';') {
            out.semicolons.push_back(i);
            ++i;
            continue;
        }
        if (!out.first_code) out.first_code = i;
        out.last_code = i;
        if (c == '\'') {
            // E'...' takes backslash escapes; plain '...' does not
            // (standard_conforming_strings is on by default since 9.1). In :e'...'
            // the e ends a placeholder ($1'...' once rewritten): not an E prefix.
            const Placeholder* last = out.placeholders.empty() ? nullptr : &out.placeholders.back();
            bool after_placeholder = last && last->offset + last->length == i;
            bool backslash = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                             (i < 2 || !is_ident_char(sql[i - 2])) && !after_placeholder;
            std::size_t start = i++;
            bool closed = false;
            while (i < n) {
                if (backslash && sql[i] == '\\') {
                    i += 2;
                } else if (sql[i] == '\'') {
                    if (at(i + 1) == '\'') {
                        i += 2;  // '' is a quote inside the literal
                    } else {
                        ++i;
                        closed = true;
                        break;
                    }
                } else {
                    ++i;
                }
            }
            if (!closed) {
                unterminated(start, "string literal");
                i = n;
            }
            continue;
        }
        if (c == '"') {  // quoted identifier, "" inside
            std::size_t start = i++;
            bool closed = false;
            while (i < n) {
                if (sql[i] == '"') {
                    if (at(i + 1) == '"') {
                        i += 2;
                        continue;
                    }
                    ++i;
                    closed = true;
                    break;
                }
                ++i;
            }
            if (!closed) unterminated(start, "quoted identifier");
            continue;
        }
        if (c == '$') {
            if (i > 0 && is_ident_char(sql[i - 1])) {  // inside an identifier: a$b
                ++i;
                continue;
            }
            if (is_digit(at(i + 1))) {  // $1: a positional parameter
                out.positional.push_back(i);
                ++i;
                while (i < n && is_digit(sql[i]))
                    ++i;
                continue;
            }
            std::size_t j = i + 1;
            while (j < n && is_tag_char(sql[j]))
                ++j;
            if (j < n && sql[j] == '$') {  // $$ or $tag$ opens a dollar-quoted body
                std::string_view tag = sql.substr(i, j - i + 1);
                std::size_t close = sql.find(tag, j + 1);
                if (close == std::string_view::npos) {
                    unterminated(i, "dollar-quoted string");
                    i = n;
                } else {
                    i = close + tag.size();
                }
                continue;
            }
            ++i;
            continue;
        }
        if (c == ':') {
            if (at(i + 1) == ':') {  // a ::type cast
                i += 2;
                continue;
            }
            // After an identifier, a number, ']' or ')' the ':' is an array slice
            // bound (a[1:n], a[lo:hi]), never a placeholder.
            bool slice =
                i > 0 && (is_ident_char(sql[i - 1]) || sql[i - 1] == ']' || sql[i - 1] == ')');
            if (!slice && is_name_start(at(i + 1))) {
                std::size_t j = i + 1;
                while (j < n && is_name_char(sql[j]))
                    ++j;
                out.placeholders.push_back({i, j - i, std::string(sql.substr(i + 1, j - i - 1))});
                i = j;
                continue;
            }
            ++i;
            continue;
        }
        if (is_ident_char(c)) {  // a whole word at once, so "x$1" stays one token
            while (i < n && is_ident_char(sql[i]))
                ++i;
            continue;
        }
        ++i;
    }
    return out;
}

// ---------------------------------------------------------------------------
// Header parsing helpers

bool is_identifier(std::string_view s) {
    if (s.empty() || !is_name_start(s[0])) return false;
    return std::all_of(s.begin(), s.end(), is_name_char);
}

// "-- key: value" → {lowercased key, trimmed value}. A comment line that does not
// have this shape ("-- totals per region", "-- see also: x") is just a comment.
std::optional<std::pair<std::string, std::string_view>> header_entry(std::string_view line) {
    std::string_view t = trim(line);
    if (t.substr(0, 2) != "--") return std::nullopt;
    t = trim(t.substr(2));
    std::size_t k = 0;
    while (k < t.size() && is_name_char(t[k]))
        ++k;
    if (k == 0 || !is_name_start(t[0])) return std::nullopt;
    std::size_t colon = k;
    while (colon < t.size() && (t[colon] == ' ' || t[colon] == '\t'))
        ++colon;
    if (colon >= t.size() || t[colon] != ':') return std::nullopt;
    return std::pair{lower(t.substr(0, k)), trim(t.substr(colon + 1))};
}

std::vector<std::string_view> split_lines(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return lines;
}

// Field names the HTTP layer reads itself; a param with one of these names could
// never be told apart from it.
bool is_reserved_param(std::string_view name) {
    return name == "format" || name == "section" || name == "run" || name == "trace";
}

// A bare word, or a 'quoted' / "quoted" value (no escapes inside) for values with
// spaces. Advances `pos`; sets `error` when a quote is not closed.
std::optional<std::string> read_token(std::string_view s, std::size_t& pos, std::string& error) {
    while (pos < s.size() && is_space(s[pos]))
        ++pos;
    if (pos >= s.size()) return std::nullopt;
    if (s[pos] == '\'' || s[pos] == '"') {
        char quote = s[pos];
        std::size_t close = s.find(quote, pos + 1);
        if (close == std::string_view::npos) {
            error = std::string("unterminated ") + quote + " quote";
            return std::nullopt;
        }
        std::string value(s.substr(pos + 1, close - pos - 1));
        pos = close + 1;
        if (pos < s.size() && !is_space(s[pos])) {
            error = "expected a space after the closing quote";
            return std::nullopt;
        }
        return value;
    }
    std::size_t start = pos;
    while (pos < s.size() && !is_space(s[pos]))
        ++pos;
    return std::string(s.substr(start, pos - start));
}

const char* type_name(ParamType type) {
    switch (type) {
        case ParamType::Text:
            return "text";
        case ParamType::Int:
            return "int";
        case ParamType::Bigint:
            return "bigint";
        case ParamType::Numeric:
            return "numeric";
        case ParamType::Bool:
            return "bool";
        case ParamType::Date:
            return "date";
        case ParamType::Timestamp:
            return "timestamp";
        case ParamType::Enum:
            return "enum";
    }
    return "?";
}

// Whether SQL (from its first code character) is a COPY statement.
bool starts_with_copy(std::string_view sql) {
    if (sql.size() < 4) return false;
    for (std::size_t i = 0; i < 4; ++i)
        if (std::tolower(static_cast<unsigned char>(sql[i])) != "copy"[i]) return false;
    if (sql.size() == 4) return true;
    unsigned char next = static_cast<unsigned char>(sql[4]);
    return !(std::isalnum(next) || next == '_' || next == '$' || next >= 0x80);
}

// `NAME TYPE [required] [default V] [min V] [max V] [maxlen N]`. Returns the spec,
// or sets `error` to the problem.
std::optional<ParamSpec> parse_param(std::string_view text, std::string& error) {
    ParamSpec spec;
    std::size_t pos = 0;
    while (pos < text.size() && is_name_char(text[pos]))
        ++pos;
    spec.name = std::string(text.substr(0, pos));
    if (spec.name.empty() || (pos < text.size() && !is_space(text[pos]))) {
        std::string word(text.substr(0, text.find_first_of(" \t")));
        error = "param: expected a name ([A-Za-z_][A-Za-z0-9_]*), got '" + word + "'";
        return std::nullopt;
    }
    if (!is_identifier(spec.name)) {
        error = "param: name '" + spec.name + "' must start with a letter or '_'";
        return std::nullopt;
    }
    const std::string who = "param '" + spec.name + "': ";
    if (is_reserved_param(spec.name)) {
        error =
            who + "the name is reserved (format, section, run and trace are read by the server)";
        return std::nullopt;
    }

    while (pos < text.size() && is_space(text[pos]))
        ++pos;
    std::size_t type_start = pos;
    while (pos < text.size() && is_alpha(text[pos]))
        ++pos;
    std::string type = lower(text.substr(type_start, pos - type_start));
    static const std::map<std::string, ParamType> types = {
        {"text", ParamType::Text},           {"int", ParamType::Int},
        {"bigint", ParamType::Bigint},       {"numeric", ParamType::Numeric},
        {"bool", ParamType::Bool},           {"date", ParamType::Date},
        {"timestamp", ParamType::Timestamp}, {"enum", ParamType::Enum}};
    auto found = types.find(type);
    bool followed_ok =
        pos >= text.size() || is_space(text[pos]) || (type == "enum" && text[pos] == '(');
    if (found == types.end() || !followed_ok) {
        std::string word(
            text.substr(type_start, text.find_first_of(" \t", type_start) - type_start));
        error = who + (word.empty() ? std::string("missing type") : "unknown type '" + word + "'") +
                " (text, int, bigint, numeric, bool, date, timestamp or enum(a|b|c))";
        return std::nullopt;
    }
    spec.type = found->second;
    if (spec.type == ParamType::Enum) {
        while (pos < text.size() && is_space(text[pos]))
            ++pos;
        std::size_t close = text.find(')', pos);
        if (pos >= text.size() || text[pos] != '(' || close == std::string_view::npos) {
            error = who + "enum needs its values in parentheses: enum(a|b|c)";
            return std::nullopt;
        }
        std::string_view inner = text.substr(pos + 1, close - pos - 1);
        pos = close + 1;
        while (true) {
            std::size_t bar = inner.find('|');
            std::string value(trim(inner.substr(0, bar)));
            if (value.empty()) {
                error = who + "enum has an empty value";
                return std::nullopt;
            }
            if (std::find(spec.enum_values.begin(), spec.enum_values.end(), value) !=
                spec.enum_values.end()) {
                error = who + "enum value '" + value + "' is listed twice";
                return std::nullopt;
            }
            spec.enum_values.push_back(std::move(value));
            if (bar == std::string_view::npos) break;
            inner.remove_prefix(bar + 1);
        }
    }

    // Modifiers, each at most once.
    std::optional<std::string> raw_default, raw_min, raw_max;
    std::set<std::string> seen;
    while (true) {
        while (pos < text.size() && is_space(text[pos]))
            ++pos;
        if (pos >= text.size()) break;
        std::size_t word_start = pos;
        while (pos < text.size() && !is_space(text[pos]))
            ++pos;
        std::string word = lower(text.substr(word_start, pos - word_start));
        if (word != "required" && word != "default" && word != "min" && word != "max" &&
            word != "maxlen") {
            error = who + "unknown modifier '" +
                    std::string(text.substr(word_start, pos - word_start)) +
                    "' (required, default, min, max, maxlen)";
            return std::nullopt;
        }
        if (!seen.insert(word).second) {
            error = who + "'" + word + "' is given twice";
            return std::nullopt;
        }
        if (word == "required") {
            spec.required = true;
            continue;
        }
        std::string token_error;
        auto value = read_token(text, pos, token_error);
        if (!value) {
            error = who + word + ": " + (token_error.empty() ? "missing value" : token_error);
            return std::nullopt;
        }
        if (word == "default") {
            raw_default = std::move(value);
        } else if (word == "min") {
            raw_min = std::move(value);
        } else if (word == "max") {
            raw_max = std::move(value);
        } else {  // maxlen
            std::size_t n = 0;
            auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
            if (value->empty() || ec != std::errc() || end != value->data() + value->size() ||
                n == 0) {
                error = who + "maxlen must be a whole number >= 1, got '" + *value + "'";
                return std::nullopt;
            }
            spec.maxlen = n;
        }
    }

    if (spec.required && raw_default) {
        error = who + "'required' and 'default' exclude each other";
        return std::nullopt;
    }
    bool ranged = spec.type == ParamType::Int || spec.type == ParamType::Bigint ||
                  spec.type == ParamType::Numeric || spec.type == ParamType::Date ||
                  spec.type == ParamType::Timestamp;
    if ((raw_min || raw_max) && !ranged) {
        error = who + "min/max apply to int, bigint, numeric, date and timestamp params, not " +
                type_name(spec.type);
        return std::nullopt;
    }
    if (spec.maxlen && spec.type != ParamType::Text) {
        error = who + "maxlen applies to text params only, not " + type_name(spec.type);
        return std::nullopt;
    }
    // min and max are checked as values of the type, then against each other.
    ParamSpec bare = spec;
    bare.maxlen.reset();
    for (auto [label, raw, slot] :
         {std::tuple{"min", &raw_min, &spec.min}, std::tuple{"max", &raw_max, &spec.max}}) {
        if (!*raw) continue;
        ValueCheck check = check_value(bare, **raw);
        if (!check.value) {
            error = who + label + " " + check.problem;
            return std::nullopt;
        }
        *slot = std::move(check.value);
    }
    if (spec.min && spec.max) {
        ParamSpec lower_bound = bare;
        lower_bound.min = spec.min;
        if (!check_value(lower_bound, *spec.max).value) {
            error = who + "min " + *spec.min + " is greater than max " + *spec.max;
            return std::nullopt;
        }
    }
    if (raw_default) {
        ValueCheck check = check_value(spec, *raw_default);
        if (!check.value) {
            error = who + "default " + check.problem;
            return std::nullopt;
        }
        spec.default_value = std::move(check.value);
    }
    return spec;
}

// ---------------------------------------------------------------------------
// Sections

struct RawSection {
    std::string name;
    int line = 0;  // of "-- section:"
    std::vector<std::string_view> body;
};

class ReportParser {
  public:
    ReportParser(std::string_view name, std::string_view file, std::string_view text,
                 std::chrono::milliseconds default_timeout)
        : lines_(split_lines(text)) {
        report_.name = std::string(name);
        report_.file = std::string(file);
        report_.timeout = default_timeout;
    }

    std::variant<Report, ParseError> run() {
        std::size_t i = 0;
        for (; i < lines_.size(); ++i) {
            auto entry = header_entry(lines_[i]);
            if (entry && entry->first == "section") break;
            if (!header_line(static_cast<int>(i + 1), lines_[i], entry)) return error_;
        }
        std::vector<RawSection> raw;
        for (; i < lines_.size(); ++i) {
            auto entry = header_entry(lines_[i]);
            if (entry && entry->first == "section") {
                raw.push_back({std::string(entry->second), static_cast<int>(i + 1), {}});
            } else {
                raw.back().body.push_back(lines_[i]);
            }
        }
        if (raw.empty()) {
            return fail(std::max<int>(1, static_cast<int>(lines_.size())),
                        "no '-- section: NAME' line: a report needs at least one query");
        }
        for (const RawSection& r : raw) {
            if (!section(r)) return error_;
        }
        if (report_.title.empty()) report_.title = report_.name;
        return std::move(report_);
    }

  private:
    ParseError fail(int line, std::string message) {
        error_ = ParseError{report_.file, line, std::move(message)};
        return error_;
    }

    bool header_line(int line, std::string_view text,
                     const std::optional<std::pair<std::string, std::string_view>>& entry) {
        std::string_view t = trim(text);
        if (t.empty()) return true;
        if (t.substr(0, 2) != "--") {
            fail(line, "SQL before the first '-- section: NAME' line");
            return false;
        }
        if (!entry) return true;  // a plain comment
        const auto& [key, value] = *entry;
        if (key != "param") {
            auto [it, fresh] = header_keys_.emplace(key, line);
            if (!fresh) {
                fail(line, "header key '" + key + "' is given twice (first on line " +
                               std::to_string(it->second) + ")");
                return false;
            }
        }
        if (key == "title" || key == "description") {
            if (value.empty()) {
                fail(line, key + ": empty value");
                return false;
            }
            (key == "title" ? report_.title : report_.description) = std::string(value);
        } else if (key == "param") {
            std::string problem;
            auto spec = parse_param(value, problem);
            if (!spec) {
                fail(line, problem);
                return false;
            }
            for (const ParamSpec& p : report_.params) {
                if (p.name == spec->name) {
                    fail(line, "param '" + p.name + "' is declared twice (first on line " +
                                   std::to_string(p.line) + ")");
                    return false;
                }
            }
            spec->line = line;
            report_.params.push_back(std::move(*spec));
        } else if (key == "timeout") {
            auto d = parse_duration(value);
            if (!d || d->count() <= 0) {
                fail(line, "timeout: expected a duration such as 3s or 500ms, got '" +
                               std::string(value) + "'");
                return false;
            }
            report_.timeout = *d;
        } else if (key == "parallel" || key == "job") {
            std::string v = lower(value);
            if (v != "true" && v != "false") {
                fail(line, key + ": expected true or false, got '" + std::string(value) + "'");
                return false;
            }
            (key == "parallel" ? report_.parallel : report_.job) = v == "true";
        } else if (key == "concurrency") {
            int n = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < 1) {
                fail(line,
                     "concurrency: expected a whole number >= 1, got '" + std::string(value) + "'");
                return false;
            }
            report_.concurrency = n;
        } else {
            fail(line, "unknown header key '" + key +
                           "' (title, description, param, timeout, parallel, job, "
                           "concurrency, section)");
            return false;
        }
        return true;
    }

    bool section(const RawSection& raw) {
        if (!is_identifier(raw.name)) {
            fail(raw.line,
                 "section name '" + raw.name + "' must be an identifier ([A-Za-z_][A-Za-z0-9_]*)");
            return false;
        }
        for (const Section& s : report_.sections) {
            if (s.name == raw.name) {
                fail(raw.line, "section '" + raw.name + "' is defined twice (first on line " +
                                   std::to_string(s.line) + ")");
                return false;
            }
        }
        // Join the body, then trim it, remembering on which file line it now starts.
        std::string body;
        for (std::size_t k = 0; k < raw.body.size(); ++k) {
            if (k > 0) body += '\n';
            body += raw.body[k];
        }
        std::size_t start = 0;
        while (start < body.size() && is_space(body[start]))
            ++start;
        int first_line =
            raw.line + 1 + static_cast<int>(std::count(body.begin(), body.begin() + start, '\n'));
        std::string_view sql = std::string_view(body).substr(start);
        // PQsendQueryParams takes exactly one statement; a trailing ';' is noise.
        while (true) {
            sql = trim(sql);
            if (sql.empty() || sql.back() != ';') break;
            sql.remove_suffix(1);
        }
        auto line_of = [&](std::size_t offset) {
            return first_line +
                   static_cast<int>(std::count(sql.begin(), sql.begin() + offset, '\n'));
        };

        Scan scan = scan_sql(sql);
        const std::string who = "section '" + raw.name + "': ";
        if (scan.unterminated) {
            fail(line_of(*scan.unterminated), who + "unterminated " + scan.unterminated_what);
            return false;
        }
        if (!scan.first_code) {
            fail(raw.line, who + "no SQL");
            return false;
        }
        if (starts_with_copy(sql.substr(*scan.first_code))) {
            // Its rows would come as a COPY stream, which no page or job reads.
            fail(line_of(*scan.first_code),
                 who +
                     "COPY cannot run in a section; write the query as a SELECT "
                     "(format=csv streams its rows)");
            return false;
        }
        if (!scan.positional.empty()) {
            fail(line_of(scan.positional.front()),
                 who + "use :name placeholders, not $n parameters");
            return false;
        }
        for (std::size_t semi : scan.semicolons) {
            if (scan.last_code && semi < *scan.last_code) {
                fail(line_of(semi), who + "one statement per section (found more after ';')");
                return false;
            }
        }
        for (const Placeholder& p : scan.placeholders) {
            if (param_index(p.name) == report_.params.size()) {
                fail(line_of(p.offset),
                     who + "placeholder :" + p.name + " names no declared param");
                return false;
            }
        }

        Rewritten rw = rewrite_placeholders(sql);
        Section s;
        s.name = raw.name;
        s.line = raw.line;
        s.sql = std::move(rw.sql);
        for (const std::string& name : rw.names)
            s.param_index.push_back(param_index(name));
        report_.sections.push_back(std::move(s));
        return true;
    }

    std::size_t param_index(const std::string& name) const {
        for (std::size_t k = 0; k < report_.params.size(); ++k) {
            if (report_.params[k].name == name) return k;
        }
        return report_.params.size();
    }

    std::vector<std::string_view> lines_;
    Report report_;
    std::map<std::string, int> header_keys_;  // key → first line, to report repeats
    ParseError error_;
};

bool is_report_name(std::string_view s) {
    if (s.empty()) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return is_name_char(c) || c == '-'; });
}

}  // namespace

Rewritten rewrite_placeholders(std::string_view sql) {
    Rewritten out;
    Scan scan = scan_sql(sql);
    std::size_t pos = 0;
    for (const Placeholder& p : scan.placeholders) {
        out.sql.append(sql.substr(pos, p.offset - pos));
        auto it = std::find(out.names.begin(), out.names.end(), p.name);
        std::size_t k = static_cast<std::size_t>(it - out.names.begin());
        if (it == out.names.end()) out.names.push_back(p.name);
        out.sql += '$';
        out.sql += std::to_string(k + 1);
        pos = p.offset + p.length;
    }
    out.sql.append(sql.substr(pos));
    return out;
}

std::variant<Report, ParseError> parse_report(std::string_view name, std::string_view file,
                                              std::string_view text,
                                              std::chrono::milliseconds default_timeout) {
    return ReportParser(name, file, text, default_timeout).run();
}

ReportSet load_reports(const std::string& dir, std::chrono::milliseconds default_timeout) {
    namespace fs = std::filesystem;
    ReportSet set;
    std::error_code ec;
    std::vector<fs::path> files;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        set.errors.push_back({dir, 0, "cannot read reports directory: " + ec.message()});
        return set;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path& p = it->path();
        // Hidden files (editor swap and lock files such as .#orders.sql) are not reports.
        if (p.extension() != ".sql" || p.filename().string().front() == '.') continue;
        std::error_code type_ec;
        if (!it->is_regular_file(type_ec)) continue;
        files.push_back(p);
    }
    if (ec) {
        set.errors.push_back({dir, 0, "cannot read reports directory: " + ec.message()});
        return set;
    }
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
    for (const fs::path& p : files) {
        std::string name = p.stem().string();
        std::string file = p.string();
        if (!is_report_name(name)) {
            set.errors.push_back(
                {file, 0, "report file name must be [A-Za-z0-9_-]+.sql (it is the URL name)"});
            continue;
        }
        std::ifstream in(p, std::ios::binary);
        if (!in) {
            set.errors.push_back({file, 0, std::string("cannot read: ") + std::strerror(errno)});
            continue;
        }
        std::ostringstream text;
        text << in.rdbuf();
        auto parsed = parse_report(name, file, text.str(), default_timeout);
        if (auto* err = std::get_if<ParseError>(&parsed)) {
            set.errors.push_back(std::move(*err));
        } else {
            set.reports.emplace(name, std::move(std::get<Report>(parsed)));
        }
    }
    return set;
}

}  // namespace asyncpage::reports
