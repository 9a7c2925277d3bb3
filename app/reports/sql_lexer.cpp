// The SQL lexer of report sections, in PostgreSQL's own terms (src/backend/parser/
// scan.l): one pass that skips literals, quoted identifiers, nested comments and
// dollar-quoted bodies whole, so nothing inside them can look like a placeholder.
#include "reports/sql_lexer.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace asyncpage::reports {
namespace {
using text::is_digit;
using text::is_name_char;
using text::is_name_start;
using text::is_sql_space;

// PostgreSQL identifier characters: letters, digits, '_', '$' and any non-ASCII
// byte (scan.l: ident_cont).
bool is_ident_char(char c) {
    return is_name_char(c) || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}
// Dollar-quote tags are identifiers without '$' (scan.l: dolq_start/dolq_cont).
bool is_tag_char(char c) {
    return is_name_char(c) || static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

SqlScan scan_sql(std::string_view sql) {
    SqlScan out;
    const std::size_t n = sql.size();
    auto at = [&](std::size_t k) -> char { return k < n ? sql[k] : '\0'; };
    auto unterminated = [&](std::size_t start, const char* what) {
        out.unterminated = start;
        out.unterminated_what = what;
    };
    std::size_t i = 0;
    while (i < n) {
        const char c = sql[i];
        if (is_sql_space(c)) {
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

Rewritten rewrite_placeholders(std::string_view sql) {
    Rewritten out;
    SqlScan scan = scan_sql(sql);
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

bool starts_with_copy(std::string_view sql) {
    if (sql.size() < 4 || text::lower(sql.substr(0, 4)) != "copy") return false;
    if (sql.size() == 4) return true;
    // COPY only as a whole word: "copyright" is an identifier (scan.l ident_cont).
    return !is_ident_char(sql[4]);
}

}  // namespace asyncpage::reports
