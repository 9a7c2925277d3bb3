#pragma once
// The parsed form of one report file (README, "Report files"). Pure data: no I/O here.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/presentation.hpp"

namespace asyncpage::reports {

enum class ParamType {
    Text,       // any string; maxlen applies
    Int,        // 32-bit signed
    Bigint,     // 64-bit signed
    Numeric,    // decimal: -?digits[.digits]
    Bool,       // true/false/1/0/yes/no/on/off
    Date,       // YYYY-MM-DD
    Timestamp,  // YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]]
    Enum,       // one of enum_values
};

struct ParamSpec {
    std::string name;
    ParamType type = ParamType::Text;
    bool required = false;
    std::optional<std::string> default_value;  // normalised, already validated
    std::optional<std::string> min, max;       // numbers and dates, normalised
    std::optional<std::size_t> maxlen;         // text only
    std::vector<std::string> enum_values;      // enum only
    int line = 0;
};

struct Section {
    std::string name;
    std::string sql;                       // placeholders rewritten to $1..$n
    std::vector<std::size_t> param_index;  // $k binds report.params[param_index[k-1]]
    int line = 0;                          // line of "-- section:"
    Presentation presentation;             // its chart/format/link lines (HTML only)
};

struct ParseError {
    std::string file;
    int line = 0;
    std::string message;
    std::string to_string() const;  // "FILE:LINE: message"
};

struct Report {
    std::string name;  // file name without .sql: the URL name
    std::string file;  // path as read
    std::string title;
    std::string description;
    std::vector<ParamSpec> params;         // in header order
    std::vector<Section> sections;         // in file order
    std::chrono::milliseconds timeout{0};  // header value, or the config's default_timeout
    bool parallel = true;
    bool job = false;
    int concurrency = 0;  // 0: no per-report cap beyond report_share
    // `retries: N`: runs of a job after a lost worker, host or session; -1: job_retries.
    int retries = -1;
    int max_rows = 0;  // rows of a section in an HTML or JSON page; 0: the config's
    // `cache: D`: answers that succeed may be cached this long (Cache-Control: public,
    // max-age); 0: never (no-store).
    std::chrono::seconds cache{0};
    // Lines that load fine but are likely mistakes (a header comment whose word is
    // within two letters of a key: "-- tiemout: 3s"); `check` prints them.
    std::vector<ParseError> warnings;
};

struct ReportSet {
    std::map<std::string, Report> reports;  // by name
    std::vector<ParseError> errors;         // files that were skipped, and why
};

}  // namespace asyncpage::reports
