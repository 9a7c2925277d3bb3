#pragma once
// The SQL lexer of report sections: finds `:name` placeholders, hand-written `$n`
// parameters and statement-ending ';' while skipping what PostgreSQL's lexer reads
// as literals, quoted identifiers, comments and dollar-quoted bodies.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asyncpage::reports {

struct Placeholder {
    std::size_t offset = 0;  // of the ':'
    std::size_t length = 0;  // ':' and the name
    std::string name;
};

// What one pass over a section's SQL found; offsets are into the scanned text.
struct SqlScan {
    std::vector<Placeholder> placeholders;  // in text order, repeats included
    std::vector<std::size_t> positional;    // "$1" parameters written by hand
    std::vector<std::size_t> semicolons;    // outside literals and comments
    std::optional<std::size_t> first_code;  // first token that is not ';'
    std::optional<std::size_t> last_code;   // last token that is not ';'
    std::optional<std::size_t> unterminated;
    const char* unterminated_what = "";  // "string literal", "comment", ...
};

// Never throws and never reads past the text: it also runs on SQL nobody has
// checked yet (and under the fuzzer).
SqlScan scan_sql(std::string_view sql);

struct Rewritten {
    std::string sql;                 // with $1..$n
    std::vector<std::string> names;  // names[k-1] is the param bound to $k (each name once)
};

// Rewrites `:name` placeholders to `$n` (one number per distinct name). Not a
// placeholder: `::type` casts, 'string' / E'string' literals, "quoted identifiers",
// -- and /* nested */ comments, $tag$ dollar-quoted $tag$ bodies, and array slices
// like a[1:2] (a ':' directly after an identifier char, digit, ']' or ')' is not one).
Rewritten rewrite_placeholders(std::string_view sql);

// Whether `sql`, from its first code character, is a COPY statement.
bool starts_with_copy(std::string_view sql);

}  // namespace asyncpage::reports
