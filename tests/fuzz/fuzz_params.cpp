// libFuzzer target for parameter parsing and validation. The input is a report
// header, a blank line, then one value per line. The values are checked against a
// fixed report with one param of each type, and against the params of the header
// when it parses. A value that passes is its own normal form; validate_params
// binds one value per param.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "reports/params.hpp"
#include "reports/parser.hpp"

namespace {
using namespace asyncpage::reports;

void check(bool ok) {
    if (!ok) std::abort();
}

const Report& fixed_report() {
    static const Report report = [] {
        auto parsed = parse_report("fixed", "fixed.sql",
                                   "-- param: t text maxlen 12\n"
                                   "-- param: i int min -5 max 1000\n"
                                   "-- param: b bigint required\n"
                                   "-- param: n numeric min -1.5 max 99.25 default 0.5\n"
                                   "-- param: f bool default yes\n"
                                   "-- param: d date min 2000-02-29 max 2099-12-31\n"
                                   "-- param: ts timestamp max '2030-01-01 00:00'\n"
                                   "-- param: e enum(a|b c|é)\n"
                                   "-- section: s\n"
                                   "SELECT :t, :i, :b, :n, :f, :d, :ts, :e\n",
                                   std::chrono::seconds(30));
        if (!std::holds_alternative<Report>(parsed)) std::abort();
        return std::get<Report>(parsed);
    }();
    return report;
}

std::vector<std::string_view> split_values(std::string_view text) {
    std::vector<std::string_view> values;
    while (true) {
        std::size_t nl = text.find('\n');
        values.push_back(text.substr(0, nl));
        if (nl == std::string_view::npos) return values;
        text.remove_prefix(nl + 1);
    }
}

// Every value against every param one by one, then all at once in param order.
void check_values(const Report& report, const std::vector<std::string_view>& values) {
    for (const ParamSpec& spec : report.params) {
        for (std::string_view value : values) {
            ValueCheck result = check_value(spec, value);
            if (!result.value) {
                check(!result.problem.empty());
                continue;
            }
            check(result.value->find('\0') == std::string::npos);
            ValueCheck again = check_value(spec, *result.value);
            check(again.value && *again.value == *result.value);
        }
    }
    asyncpage::http::Fields given;
    for (std::size_t k = 0; k < values.size() && k < report.params.size(); ++k)
        given.emplace_back(report.params[k].name, std::string(values[k]));
    auto bound = validate_params(report, given);
    if (const BoundValues* b = std::get_if<BoundValues>(&bound)) {
        check(b->size() == report.params.size());
        for (std::size_t k = 0; k < b->size(); ++k) {
            if (report.params[k].required) check((*b)[k].has_value());
        }
    } else {
        const ParamError& error = std::get<ParamError>(bound);
        check(!error.param.empty() && error.message.rfind(error.param + ": ", 0) == 0);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::size_t blank = input.find("\n\n");
    std::string_view header = blank == std::string_view::npos ? "" : input.substr(0, blank);
    std::string_view rest = blank == std::string_view::npos ? input : input.substr(blank + 2);
    const std::vector<std::string_view> values = split_values(rest);

    check_values(fixed_report(), values);

    std::string text(header);
    text += "\n-- section: s\nSELECT 1\n";
    auto parsed = parse_report("fuzz", "fuzz.sql", text, std::chrono::seconds(30));
    if (const Report* report = std::get_if<Report>(&parsed)) check_values(*report, values);
    return 0;
}
