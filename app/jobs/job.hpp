#pragma once
// What every part of the jobs feature shares: ids, states, the notification
// channel, and the parsed form of a job JSON (README, "Background jobs"), which is built by SQL
// (asyncpage.job_json) and travels as the NOTIFY payload.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/job.hpp"

namespace asyncpage::jobs {

inline constexpr const char* kChannel = "asyncpage_jobs";

// A canonical UUID (8-4-4-4-12 hex digits, either case); false for anything else,
// so a malformed id is a 404 without a query.
bool is_job_id(std::string_view id);
// succeeded, failed, cancelled: one definition, in the model the wait screen shares.
using model::is_final_state;

struct JobEvent {
    std::string id;
    std::string state;
    std::int64_t version = 0;
};
// The fields of a job JSON the server needs; nullopt when it is not one.
std::optional<JobEvent> parse_job_event(std::string_view json);

}  // namespace asyncpage::jobs
