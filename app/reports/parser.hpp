#pragma once
// Report-file parsing: header comments, sections, placeholder rewriting.
#include <string_view>
#include <variant>

#include "reports/report.hpp"

namespace asyncpage::reports {

struct Rewritten {
    std::string sql;                 // with $1..$n
    std::vector<std::string> names;  // names[k-1] is the param bound to $k (each name once)
};

// Rewrites `:name` placeholders to `$n` (one number per distinct name). Not a
// placeholder: `::type` casts, 'string' / E'string' literals, "quoted identifiers",
// -- and /* nested */ comments, $tag$ dollar-quoted $tag$ bodies, and array slices
// like a[1:2] (a ':' directly after an identifier char, digit, ']' or ')' is not one).
Rewritten rewrite_placeholders(std::string_view sql);

// Parses one file. `name` is the URL name, `file` the path used in messages.
// Unknown header keys, bad values, duplicate params/sections, placeholders that
// name no declared param, and a file without sections are errors with their line.
std::variant<Report, ParseError> parse_report(std::string_view name, std::string_view file,
                                              std::string_view text,
                                              std::chrono::milliseconds default_timeout);

// Reads every *.sql in `dir` (non-recursive, sorted); a bad file lands in errors
// and does not stop the others. A missing/unreadable dir is one error with line 0.
ReportSet load_reports(const std::string& dir, std::chrono::milliseconds default_timeout);

}  // namespace asyncpage::reports
