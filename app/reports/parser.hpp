#pragma once
// Report files: parsing one file's text into a Report, and loading a directory of
// them. The SQL lexer (placeholder rewriting) is in sql_lexer.hpp and the `-- param:`
// grammar in param_grammar.hpp; this header brings in rewrite_placeholders too.
#include <chrono>
#include <string>
#include <string_view>
#include <variant>

#include "reports/report.hpp"
#include "reports/sql_lexer.hpp"

namespace asyncpage::reports {

// Parses one file. `name` is the URL name, `file` the path used in messages.
// Bad header values, duplicate params/sections, placeholders that
// name no declared param, and a file without sections are errors with their line.
std::variant<Report, ParseError> parse_report(std::string_view name, std::string_view file,
                                              std::string_view text,
                                              std::chrono::milliseconds default_timeout);

// Reads every *.sql in `dir` (non-recursive, sorted); a bad file lands in errors
// and does not stop the others. A missing/unreadable dir is one error with line 0.
ReportSet load_reports(const std::string& dir, std::chrono::milliseconds default_timeout);

}  // namespace asyncpage::reports
