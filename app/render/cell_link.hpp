#pragma once
// A `-- link: COL = URL` line applied to one row (README, "Presentation lines"):
// each {column} placeholder becomes that row's value, percent-encoded, so a value
// can never add a parameter, a path step or a scheme. The template itself was
// checked when the report loaded (reports/presentation.cpp: relative or http(s)).
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "reports/presentation.hpp"

namespace asyncpage::render {

// The row's value of a column: nullopt for NULL (or no such column).
using ValueOf = std::function<std::optional<std::string_view>(std::string_view column)>;

// The link's URL for one row, not yet HTML-escaped; nullopt when a placeholder's
// value is NULL (a link to "?id=" would lead nowhere). A URL starting with one '/'
// is the site's: the mount prefix (url_base) goes in front.
std::optional<std::string> link_url(const reports::ColumnLink& link, const ValueOf& value_of);

}  // namespace asyncpage::render
