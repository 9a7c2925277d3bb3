#pragma once
// Presentation lines of a section (README, "Presentation lines"): `-- chart:`,
// `-- format:` and `-- link:` after a `-- section:` line. They change how the HTML
// page shows the section; JSON, CSV and Excel carry the raw values. Pure data and
// parsing: no I/O. Which columns exist is known only to PostgreSQL, so the
// columns named here are checked by `asyncpage check` (check_columns.cpp) through
// unknown_columns().
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asyncpage::reports {

enum class ChartKind {
    Line,  // one line per y column over x
    Bar,   // grouped bars, one per y column, per x value
    Pie,   // the first y column's share per x value
};

struct Chart {
    ChartKind kind = ChartKind::Line;
    std::string x;               // the column along the x axis (pie: the slices' labels)
    std::vector<std::string> y;  // one series per column
    int line = 0;
};

enum class FormatKind {
    Raw,       // PostgreSQL's text, untouched
    Number,    // grouped by thousands; `decimals` when given
    Money,     // grouped, two decimals
    Percent,   // a fraction shown as a percentage: 0.125 → 12.5%
    Date,      // a date or timestamp as its date
    Datetime,  // a timestamp to the second
    Bytes,     // a byte count in KiB, MiB, ... (binary units)
};

struct ColumnFormat {
    std::string column;
    FormatKind kind = FormatKind::Raw;
    int decimals = -1;  // number:D; -1: as the value has them
    int line = 0;
};

// A URL template: literal text and {column} placeholders, in order.
struct LinkPart {
    bool placeholder = false;
    std::string text;  // literal text, or the column name of a placeholder
};

struct ColumnLink {
    std::string column;  // whose cells become links
    std::string url;     // as written
    std::vector<LinkPart> parts;
    int line = 0;
};

struct Presentation {
    std::vector<Chart> charts;  // in file order; each is drawn above the table
    std::vector<ColumnFormat> formats;
    std::vector<ColumnLink> links;

    bool empty() const { return charts.empty() && formats.empty() && links.empty(); }
    const ColumnFormat* format_of(std::string_view column) const;
    const ColumnLink* link_of(std::string_view column) const;
};

// Whether `key` of a `-- key: value` line is one of the presentation keys.
bool is_presentation_key(std::string_view key);

// Adds the line `key: value` (key as is_presentation_key) to `p`; false with
// `problem` set when the value is malformed (an unknown chart kind or format, a
// URL that is neither relative nor http(s), a column given two formats or links).
[[nodiscard]] bool parse_presentation_line(std::string_view key, std::string_view value, int line,
                                           Presentation& p, std::string& problem);

// Which names of `p` (chart axes, formatted and linked columns, link placeholders)
// are not among `columns`: {line, message} pairs in line order.
std::vector<std::pair<int, std::string>> unknown_columns(const Presentation& p,
                                                         const std::vector<std::string>& columns);

std::string_view to_string(ChartKind kind);
std::string_view to_string(FormatKind kind);

}  // namespace asyncpage::reports
