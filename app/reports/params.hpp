#pragma once
// Validation of request values against a report's declared params.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/request.hpp"
#include "reports/report.hpp"

namespace asyncpage::reports {

struct ParamError {
    std::string param;    // the parameter's name
    std::string message;  // e.g. "lim: must be an integer between 1 and 10000"
};

// One entry per report.params, in order: the normalised text to bind, or nullopt
// for SQL NULL (optional param not given, no default). An empty string given for
// a non-text param counts as not given. Unknown fields are ignored (format,
// section, run, trace...). Values are validated: type, min/max, maxlen, enum.
using BoundValues = std::vector<std::optional<std::string>>;
std::variant<BoundValues, ParamError> validate_params(const Report& report,
                                                      const http::Fields& given);

// One value checked against one spec (NUL bytes, UTF-8, type, enum, min/max,
// maxlen): the normalised text to bind in `value`, or else `problem`, the message
// without the "name: " prefix. The parser uses it for defaults and min/max too.
struct ValueCheck {
    std::optional<std::string> value;
    std::string problem;
};
ValueCheck check_value(const ParamSpec& spec, std::string_view text);

// True when `given` holds any of the report's params (then an HTML request runs it).
bool mentions_any_param(const Report& report, const http::Fields& given);

}  // namespace asyncpage::reports
