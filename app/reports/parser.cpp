// Report files: the `-- key: value` header, `-- section:` splitting and the checks
// on each section's SQL (through the lexer), and reading a directory of them. A
// bad file becomes a ParseError with its line; it never stops the others.
#include "reports/parser.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/text.hpp"
#include "core/units.hpp"
#include "reports/param_grammar.hpp"
#include "reports/presentation.hpp"
#include "reports/sql_lexer.hpp"

namespace asyncpage::reports {
namespace {
using text::BoolSpelling;
using text::is_identifier;
using text::is_name_char;
using text::is_name_start;
using text::is_sql_space;
using text::lower;
using text::parse_bool;
using text::trim;

// ---------------------------------------------------------------------------
// Lines and header entries

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

// The header keys this parser knows (README, "Report files"); any other
// `-- word: ...` line is a comment.
constexpr std::string_view kHeaderKeys[] = {
    "title",    "description", "param", "timeout", "parallel", "job",    "concurrency",
    "max_rows", "section",     "cache", "retries", "chart",    "format", "link"};

// Levenshtein distance, for the typo warning only (keys are a few letters long).
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// The known key within two edits of `key` ("tiemout" → "timeout"), if any.
std::optional<std::string_view> near_known_key(std::string_view key) {
    for (std::string_view known : kHeaderKeys) {
        if (edit_distance(key, known) <= 2) return known;
    }
    return std::nullopt;
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
        if (std::find(std::begin(kHeaderKeys), std::end(kHeaderKeys), key) ==
            std::end(kHeaderKeys)) {
            // Not a key of ours: a plain comment (README, "Report files"), so that
            // "-- Author: bob" never makes a report fail. A near miss is most
            // likely a typo, which `check` shows as a warning.
            if (auto near = near_known_key(key)) {
                report_.warnings.push_back(ParseError{
                    report_.file, line,
                    "warning: '" + key + "' is not a header key, so this line is a comment; " +
                        "did you mean '" + std::string(*near) + "'?"});
            }
            return true;
        }
        if (is_presentation_key(key)) {
            // Most likely a misplaced presentation line; but it may be a plain
            // comment ("-- link: see the wiki"), which must not stop the report.
            report_.warnings.push_back(
                ParseError{report_.file, line,
                           "warning: " + key +
                               ": presentation lines go after a '-- section: NAME' line; this one "
                               "is a comment"});
            return true;
        }
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
            if (*d > kMaxDuration) {
                fail(line, "timeout: '" + std::string(value) + "' is longer than " +
                               std::string(kMaxDurationText) +
                               ", the longest duration PostgreSQL accepts as a timeout");
                return false;
            }
            report_.timeout = *d;
        } else if (key == "parallel" || key == "job") {
            auto flag = parse_bool(value, BoolSpelling::Words);
            if (!flag) {
                fail(line, key + ": expected true or false, got '" + std::string(value) + "'");
                return false;
            }
            (key == "parallel" ? report_.parallel : report_.job) = *flag;
        } else if (key == "concurrency") {
            int n = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < 1) {
                fail(line,
                     "concurrency: expected a whole number >= 1, got '" + std::string(value) + "'");
                return false;
            }
            report_.concurrency = n;
        } else if (key == "max_rows") {
            int n = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < 1) {
                fail(line,
                     "max_rows: expected a whole number >= 1, got '" + std::string(value) + "'");
                return false;
            }
            report_.max_rows = n;
        } else if (key == "retries") {
            int n = -1;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < 0 ||
                n > 100) {
                fail(line, "retries: expected a whole number from 0 to 100, got '" +
                               std::string(value) + "'");
                return false;
            }
            report_.retries = n;
        } else if (key == "cache") {
            // Cache-Control's max-age counts whole seconds; a shorter or fractional
            // window would be rounded silently, so it is refused instead.
            auto d = parse_duration(value);
            if (!d || d->count() <= 0 || d->count() % 1000 != 0) {
                fail(line, "cache: expected a whole number of seconds such as 60s or 5m, got '" +
                               std::string(value) + "'");
                return false;
            }
            if (*d > kMaxDuration) {
                fail(line, "cache: '" + std::string(value) + "' is longer than " +
                               std::string(kMaxDurationText));
                return false;
            }
            report_.cache = std::chrono::duration_cast<std::chrono::seconds>(*d);
        }
        return true;
    }

    bool section(const RawSection& raw) {
        if (!is_identifier(raw.name)) {
            fail(raw.line,
                 "section name '" + raw.name + "' must be an identifier ([A-Za-z_][A-Za-z0-9_]*)");
            return false;
        }
        Presentation presentation;
        if (!presentation_lines(raw, presentation)) return false;
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
        while (start < body.size() && is_sql_space(body[start]))
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

        SqlScan scan = scan_sql(sql);
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
        s.presentation = std::move(presentation);
        for (const std::string& name : rw.names)
            s.param_index.push_back(param_index(name));
        report_.sections.push_back(std::move(s));
        return true;
    }

    // The `-- chart:`, `-- format:` and `-- link:` lines among the comments between
    // the section line and its SQL. They stay in the SQL text as the comments they
    // are. One further down, inside the query, is a comment there ("-- format:
    // YYYY-MM" beside a to_char), with a warning in case it was meant.
    bool presentation_lines(const RawSection& raw, Presentation& p) {
        bool in_sql = false;
        for (std::size_t k = 0; k < raw.body.size(); ++k) {
            const int line = raw.line + 1 + static_cast<int>(k);
            std::string_view t = trim(raw.body[k]);
            auto entry = header_entry(t);
            if (entry && is_presentation_key(entry->first)) {
                if (in_sql) {
                    report_.warnings.push_back(ParseError{
                        report_.file, line,
                        "warning: section '" + raw.name + "': " + entry->first +
                            ": presentation lines go between the section line and its SQL; "
                            "this one is a comment"});
                    continue;
                }
                std::string problem;
                if (!parse_presentation_line(entry->first, entry->second, line, p, problem)) {
                    fail(line, "section '" + raw.name + "': " + problem);
                    return false;
                }
                continue;
            }
            if (!t.empty() && t.substr(0, 2) != "--") in_sql = true;
        }
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
