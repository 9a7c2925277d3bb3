#pragma once
// Parsing of the human-written units used by the config and report headers.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

namespace asyncpage {
// "250ms", "5s", "2m", "1h", "1d"; a bare number is seconds. nullopt when malformed,
// negative, or overflowing.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// "1MB", "512KB", "1GB", "100B" or a bare number of bytes (K/M/G are powers of 1024).
std::optional<std::size_t> parse_size(std::string_view text);
}  // namespace asyncpage
