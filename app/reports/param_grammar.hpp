#pragma once
// The grammar of a `-- param:` header line:
//   NAME TYPE [required] [default V] [min V] [max V] [maxlen N]
// with TYPE one of text, int, bigint, numeric, bool, date, timestamp, enum(a|b|c).
#include <optional>
#include <string>
#include <string_view>

#include "reports/report.hpp"

namespace asyncpage::reports {

// `text` is the line's value (after "param:"). Returns the spec with its default,
// min and max validated and normalised as values of its type; or nullopt with
// `error` set to a message that names the param. `line` is left to the caller.
std::optional<ParamSpec> parse_param(std::string_view text, std::string& error);

// Field names the HTTP layer reads itself; a param with one of these names could
// never be told apart from it.
bool is_reserved_param(std::string_view name);

}  // namespace asyncpage::reports
