// Presentation lines (`-- chart:`, `-- format:`, `-- link:`): their grammar, and
// which columns they name. A link's URL is checked here, once, when the report
// loads: only relative and http(s) URLs, and no placeholder where it could make
// the scheme, so no value from a row can turn a link into `javascript:`.
#include "reports/presentation.hpp"

#include <algorithm>
#include <charconv>

#include "core/text.hpp"

namespace asyncpage::reports {
namespace {
using text::is_space;
using text::lower;
using text::trim;

// Splits on `sep`, trimming each piece; empty pieces are kept (so "a,,b" is caught).
std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    while (true) {
        std::size_t at = s.find(sep);
        out.push_back(trim(s.substr(0, at)));
        if (at == std::string_view::npos) break;
        s.remove_prefix(at + 1);
    }
    return out;
}

std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_space(s[i]))
            ++i;
        std::size_t start = i;
        while (i < s.size() && !is_space(s[i]))
            ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

// A column name as a presentation line may give it: what a query's column names
// usually are, without the separators of these lines.
bool is_column_name(std::string_view s) {
    if (s.empty()) return false;
    return std::none_of(s.begin(), s.end(), [](char c) {
        return is_space(c) || c == ',' || c == '=' || c == '{' || c == '}';
    });
}

// "line x=month y=revenue, orders": the kind, then x= and y= in any order.
bool parse_chart(std::string_view value, int line, Presentation& p, std::string& problem) {
    // Spaces around '=' and ',' are allowed: "y = a, b".
    std::string squeezed;
    for (std::size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (is_space(c)) {
            std::size_t j = i;
            while (j < value.size() && is_space(value[j]))
                ++j;
            bool next_sep = j < value.size() && (value[j] == '=' || value[j] == ',');
            bool prev_sep = !squeezed.empty() && (squeezed.back() == '=' || squeezed.back() == ',');
            if (!next_sep && !prev_sep) squeezed += ' ';
            i = j - 1;
            continue;
        }
        squeezed += c;
    }
    auto w = words(squeezed);
    if (w.empty()) {
        problem = "chart: expected 'line|bar|pie x=COLUMN y=COLUMN[,COLUMN...]'";
        return false;
    }
    Chart chart;
    chart.line = line;
    std::string kind = lower(w[0]);
    if (kind == "line") {
        chart.kind = ChartKind::Line;
    } else if (kind == "bar") {
        chart.kind = ChartKind::Bar;
    } else if (kind == "pie") {
        chart.kind = ChartKind::Pie;
    } else {
        problem = "chart: unknown kind '" + std::string(w[0]) + "' (line, bar or pie)";
        return false;
    }
    bool have_x = false;
    bool have_y = false;
    for (std::size_t i = 1; i < w.size(); ++i) {
        std::string_view t = w[i];
        std::size_t eq = t.find('=');
        std::string key = lower(t.substr(0, eq));
        if (eq == std::string_view::npos || (key != "x" && key != "y")) {
            problem =
                "chart: expected x=COLUMN or y=COLUMN[,COLUMN...], got '" + std::string(t) + "'";
            return false;
        }
        std::string_view rest = t.substr(eq + 1);
        if ((key == "x" && have_x) || (key == "y" && have_y)) {
            problem = "chart: " + key + "= is given twice";
            return false;
        }
        if (key == "x") {
            if (!is_column_name(rest)) {
                problem = "chart: x= needs one column name, got '" + std::string(rest) + "'";
                return false;
            }
            chart.x = std::string(rest);
            have_x = true;
        } else {
            for (std::string_view col : split(rest, ',')) {
                if (!is_column_name(col)) {
                    problem = "chart: y= needs column names separated by commas, got '" +
                              std::string(rest) + "'";
                    return false;
                }
                chart.y.emplace_back(col);
            }
            have_y = true;
        }
    }
    if (!have_x || !have_y) {
        problem = std::string("chart: ") + (have_x ? "y=" : "x=") + "COLUMN is missing";
        return false;
    }
    if (chart.kind == ChartKind::Pie && chart.y.size() != 1) {
        problem = "chart: a pie takes exactly one y column";
        return false;
    }
    p.charts.push_back(std::move(chart));
    return true;
}

std::optional<FormatKind> format_kind(std::string_view s) {
    std::string k = lower(s);
    if (k == "raw") return FormatKind::Raw;
    if (k == "number") return FormatKind::Number;
    if (k == "money") return FormatKind::Money;
    if (k == "percent") return FormatKind::Percent;
    if (k == "date") return FormatKind::Date;
    if (k == "datetime") return FormatKind::Datetime;
    if (k == "bytes") return FormatKind::Bytes;
    return std::nullopt;
}

// "revenue money, share percent, amount number:2"
bool parse_format(std::string_view value, int line, Presentation& p, std::string& problem) {
    for (std::string_view item : split(value, ',')) {
        auto w = words(item);
        if (w.size() != 2 || !is_column_name(w[0])) {
            problem =
                "format: expected 'COLUMN KIND[, COLUMN KIND...]', got '" + std::string(item) + "'";
            return false;
        }
        ColumnFormat f;
        f.column = std::string(w[0]);
        f.line = line;
        std::string_view kind = w[1];
        std::size_t colon = kind.find(':');
        auto k = format_kind(kind.substr(0, colon));
        if (!k) {
            problem = "format: unknown kind '" + std::string(kind) +
                      "' (raw, number, number:D, money, percent, date, datetime, bytes)";
            return false;
        }
        f.kind = *k;
        if (colon != std::string_view::npos) {
            std::string_view d = kind.substr(colon + 1);
            int n = -1;
            auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), n);
            if (f.kind != FormatKind::Number || d.empty() || ec != std::errc() ||
                end != d.data() + d.size() || n < 0 || n > 12) {
                problem = "format: '" + std::string(kind) +
                          "': only number takes decimals, as number:D with D from 0 to 12";
                return false;
            }
            f.decimals = n;
        }
        if (p.format_of(f.column)) {
            problem = "format: column '" + f.column + "' is given a format twice";
            return false;
        }
        p.formats.push_back(std::move(f));
    }
    return true;
}

// Literal text and {column} placeholders.
bool split_template(std::string_view url, std::vector<LinkPart>& parts, std::string& problem) {
    std::size_t i = 0;
    while (i < url.size()) {
        std::size_t open = url.find_first_of("{}", i);
        if (open == std::string_view::npos) {
            parts.push_back({false, std::string(url.substr(i))});
            break;
        }
        if (url[open] == '}') {
            problem = "link: '}' without '{' in '" + std::string(url) + "'";
            return false;
        }
        if (open > i) parts.push_back({false, std::string(url.substr(i, open - i))});
        std::size_t close = url.find('}', open);
        std::string_view name = close == std::string_view::npos
                                    ? std::string_view()
                                    : url.substr(open + 1, close - open - 1);
        if (close == std::string_view::npos || !is_column_name(name)) {
            problem = "link: expected {COLUMN} in '" + std::string(url) + "'";
            return false;
        }
        parts.push_back({true, std::string(name)});
        i = close + 1;
    }
    return true;
}

// Only relative and http(s) URLs: whatever comes before the first '/', '?' or '#'
// decides the scheme (RFC 3986, 4.2: a relative reference has no ':' there), so it
// must be literal text, and a ':' in it is allowed only as "http:" or "https:".
bool check_scheme(const std::vector<LinkPart>& parts, std::string_view url, std::string& problem) {
    std::string head;
    for (const LinkPart& part : parts) {
        std::size_t stop = part.placeholder ? std::string::npos : part.text.find_first_of("/?#");
        if (part.placeholder) {
            problem = "link: '" + std::string(url) +
                      "': a {placeholder} cannot come before the first '/', '?' or '#' (its "
                      "value could decide the URL's scheme)";
            return false;
        }
        head += part.text.substr(0, stop);
        if (stop != std::string::npos) break;
    }
    if (head.find(':') == std::string::npos) return true;  // relative
    std::string scheme = lower(head);
    if ((scheme == "http:" || scheme == "https:") &&
        lower(url.substr(0, scheme.size() + 2)) == scheme + "//") {
        return true;
    }
    problem = "link: '" + std::string(url) +
              "': only relative URLs and http(s) URLs are allowed as links";
    return false;
}

// "customer = /reports/customer?id={customer_id}"
bool parse_link(std::string_view value, int line, Presentation& p, std::string& problem) {
    std::size_t eq = value.find('=');
    if (eq == std::string_view::npos) {
        problem = "link: expected 'COLUMN = URL'";
        return false;
    }
    ColumnLink link;
    std::string_view column = trim(value.substr(0, eq));
    std::string_view url = trim(value.substr(eq + 1));
    if (!is_column_name(column) || url.empty() ||
        std::any_of(url.begin(), url.end(), [](char c) { return is_space(c); })) {
        problem = "link: expected 'COLUMN = URL' (a URL without spaces), got '" +
                  std::string(value) + "'";
        return false;
    }
    link.column = std::string(column);
    link.url = std::string(url);
    link.line = line;
    if (!split_template(url, link.parts, problem)) return false;
    if (!check_scheme(link.parts, url, problem)) return false;
    if (p.link_of(link.column)) {
        problem = "link: column '" + link.column + "' is given a link twice";
        return false;
    }
    p.links.push_back(std::move(link));
    return true;
}

}  // namespace

const ColumnFormat* Presentation::format_of(std::string_view column) const {
    for (const ColumnFormat& f : formats) {
        if (f.column == column) return &f;
    }
    return nullptr;
}

const ColumnLink* Presentation::link_of(std::string_view column) const {
    for (const ColumnLink& l : links) {
        if (l.column == column) return &l;
    }
    return nullptr;
}

bool is_presentation_key(std::string_view key) {
    return key == "chart" || key == "format" || key == "link";
}

bool parse_presentation_line(std::string_view key, std::string_view value, int line,
                             Presentation& p, std::string& problem) {
    value = trim(value);
    if (key == "chart") return parse_chart(value, line, p, problem);
    if (key == "format") return parse_format(value, line, p, problem);
    if (key == "link") return parse_link(value, line, p, problem);
    problem = "'" + std::string(key) + "' is not a presentation line";
    return false;
}

std::vector<std::pair<int, std::string>> unknown_columns(const Presentation& p,
                                                         const std::vector<std::string>& columns) {
    std::vector<std::pair<int, std::string>> out;
    auto known = [&](const std::string& c) {
        return std::find(columns.begin(), columns.end(), c) != columns.end();
    };
    auto missing = [&](int line, std::string_view what, const std::string& c) {
        if (!known(c)) {
            out.emplace_back(line, std::string(what) + ": the query returns no column '" + c + "'");
        }
    };
    for (const Chart& c : p.charts) {
        missing(c.line, "chart", c.x);
        for (const std::string& y : c.y)
            missing(c.line, "chart", y);
    }
    for (const ColumnFormat& f : p.formats)
        missing(f.line, "format", f.column);
    for (const ColumnLink& l : p.links) {
        missing(l.line, "link", l.column);
        for (const LinkPart& part : l.parts) {
            if (part.placeholder) missing(l.line, "link", part.text);
        }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

std::string_view to_string(ChartKind kind) {
    switch (kind) {
        case ChartKind::Line:
            return "line";
        case ChartKind::Bar:
            return "bar";
        case ChartKind::Pie:
            return "pie";
    }
    return "line";
}

std::string_view to_string(FormatKind kind) {
    switch (kind) {
        case FormatKind::Raw:
            return "raw";
        case FormatKind::Number:
            return "number";
        case FormatKind::Money:
            return "money";
        case FormatKind::Percent:
            return "percent";
        case FormatKind::Date:
            return "date";
        case FormatKind::Datetime:
            return "datetime";
        case FormatKind::Bytes:
            return "bytes";
    }
    return "raw";
}

}  // namespace asyncpage::reports
