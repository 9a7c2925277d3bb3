#pragma once
// Parsing of the human-written units used by the config and report headers.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace asyncpage {
// The longest duration the config and report headers accept: 24 days. Timeouts
// become PostgreSQL's statement_timeout (a backstop a little longer than the
// longest report timeout), whose range ends at 2^31-1 ms (about 24.8 days); past
// it every pooled connection would fail at start-up. 24 days leaves that margin.
inline constexpr std::chrono::milliseconds kMaxDuration{24LL * 24 * 3600 * 1000};
inline constexpr std::string_view kMaxDurationText = "24d";

// "250ms", "5s", "2m", "1h", "1d"; a bare number is seconds. nullopt when malformed,
// negative, or overflowing.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// A duration as exact decimal seconds for messages: "3", "0.25", "60.005" (never
// rounded, never in exponent form; parse_duration reads it back).
std::string format_seconds(std::chrono::milliseconds d);
// "1MB", "512KB", "1GB", "100B" or a bare number of bytes (K/M/G are powers of 1024).
std::optional<std::size_t> parse_size(std::string_view text);
}  // namespace asyncpage
