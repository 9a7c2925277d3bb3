// libFuzzer target for reports::parse_report: any bytes as a report file. A parse
// error must name a line of the file; a parsed report must be consistent (unique
// names, bound params that exist, defaults and bounds that pass their own check,
// section SQL without placeholders left).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "reports/params.hpp"
#include "reports/parser.hpp"

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

// Lines as the parser counts them: '\n'-separated, a final '\n' ends the last line.
int line_count(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    int lines = 0;
    for (char c : text)
        lines += c == '\n';
    if (!text.empty() && text.back() != '\n') ++lines;
    return lines;
}

// A normalised value is its own normal form.
void check_normalised(const asyncpage::reports::ParamSpec& spec, const std::string& value) {
    auto again = asyncpage::reports::check_value(spec, value);
    check(again.value && *again.value == value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace asyncpage::reports;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_report("fuzz", "fuzz.sql", text, std::chrono::seconds(30));

    if (const ParseError* error = std::get_if<ParseError>(&parsed)) {
        check(!error->message.empty() && error->file == "fuzz.sql");
        check(error->line >= 1 && error->line <= std::max(1, line_count(text)));
        return 0;
    }
    const Report& report = std::get<Report>(parsed);
    check(report.name == "fuzz" && !report.title.empty() && report.timeout.count() > 0);
    check(!report.sections.empty());

    std::set<std::string> names;
    for (const ParamSpec& spec : report.params) {
        check(names.insert(spec.name).second);
        check(spec.line >= 1 && spec.line <= line_count(text));
        check(!(spec.required && spec.default_value));
        if (spec.default_value) check_normalised(spec, *spec.default_value);
        ParamSpec bare = spec;  // bounds are checked without each other and maxlen
        bare.min.reset();
        bare.max.reset();
        bare.maxlen.reset();
        if (spec.min) check_normalised(bare, *spec.min);
        if (spec.max) check_normalised(bare, *spec.max);
    }

    std::set<std::string> sections;
    for (const Section& s : report.sections) {
        check(sections.insert(s.name).second);
        check(!s.sql.empty());
        std::set<std::size_t> bound;
        for (std::size_t index : s.param_index) {
            check(index < report.params.size());
            check(bound.insert(index).second);  // each param bound to one $k
        }
        check(rewrite_placeholders(s.sql).names.empty());
    }
    return 0;
}
