#pragma once
// Small checks on response bodies: substring counts, case-insensitive search,
// finding a JSON section by name, and ISO 8601 timestamps to epoch milliseconds.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace support {

bool contains(std::string_view text, std::string_view needle);
bool icontains(std::string_view text, std::string_view needle);
size_t count_of(std::string_view text, std::string_view needle);
std::string to_lower(std::string_view text);

// The section named `name` of a page's JSON (throws with the page when absent).
const nlohmann::json& section(const nlohmann::json& page, const std::string& name);
// The names of a page's sections, in the order the page lists them.
std::vector<std::string> section_names(const nlohmann::json& page);

// "2024-03-01T12:34:56.789+00:00" (also Z, +0100, +01, no fraction) → ms since the
// epoch; nullopt unless the text is that shape with a 'T' between date and time.
std::optional<long long> iso8601_to_epoch_ms(const std::string& text);

}  // namespace support
