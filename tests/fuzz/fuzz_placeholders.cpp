// libFuzzer target for reports::rewrite_placeholders: any bytes as SQL. Checks that
// names are unique identifiers taken from the input, that without hand-written '$'
// the output numbers exactly $1..$n, that the output holds no placeholder left, and
// that a report built around the SQL parses without throwing.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "reports/parser.hpp"

namespace {

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace asyncpage::reports;
    const std::string_view sql(reinterpret_cast<const char*>(data), size);
    const Rewritten rw = rewrite_placeholders(sql);

    std::set<std::string> unique;
    for (const std::string& name : rw.names) {
        check(!name.empty() && is_name_start(name[0]));
        for (char c : name)
            check(is_name_char(c));
        check(unique.insert(name).second);
        check(sql.find(":" + name) != std::string_view::npos);
    }

    if (sql.find('$') == std::string_view::npos) {
        // Every '$' in the output is one we wrote: $k with 1 <= k <= n, each k used.
        std::set<std::size_t> used;
        for (std::size_t i = 0; i < rw.sql.size(); ++i) {
            if (rw.sql[i] != '$') continue;
            std::size_t k = 0, j = i + 1;
            while (j < rw.sql.size() && rw.sql[j] >= '0' && rw.sql[j] <= '9' && k < 100000)
                k = k * 10 + static_cast<std::size_t>(rw.sql[j++] - '0');
            check(j > i + 1 && k >= 1 && k <= rw.names.size());
            used.insert(k);
        }
        check(used.size() == rw.names.size());
        // The rewritten SQL lexes the same way: nothing in it is a placeholder any more.
        check(rewrite_placeholders(rw.sql).names.empty());
    } else if (rw.names.empty()) {
        check(rw.sql == sql);
    }

    // As the body of a report that declares every name found: parses or fails, never throws.
    std::string text = "-- title: fuzz\n";
    for (const std::string& name : rw.names)
        text += "-- param: " + name + " text\n";
    text += "-- section: s\n";
    text.append(sql);
    auto parsed = parse_report("fuzz", "fuzz.sql", text, std::chrono::seconds(30));
    if (const Report* report = std::get_if<Report>(&parsed)) {
        check(report->sections.size() == 1);
        for (std::size_t index : report->sections[0].param_index)
            check(index < report->params.size());
    }
    return 0;
}
