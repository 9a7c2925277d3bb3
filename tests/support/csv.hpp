#pragma once
// A strict RFC 4180 reader for checking asyncpage's CSV: records end with CRLF,
// fields may be quoted ("" escapes a quote, CR/LF allowed inside quotes), and each
// field remembers whether it was quoted (NULL is empty unquoted, '' is "").
#include <string>
#include <string_view>
#include <vector>

namespace support {

struct CsvField {
    std::string value;
    bool quoted = false;
    bool operator==(const std::string& v) const { return value == v; }
};
using CsvRecord = std::vector<CsvField>;

struct CsvParse {
    std::vector<CsvRecord> records;
    std::string error;  // empty when the text is valid RFC 4180 with CRLF line ends
};

CsvParse parse_csv(std::string_view text);

// The values of a record, for printing and comparing.
std::vector<std::string> values(const CsvRecord& record);

}  // namespace support
