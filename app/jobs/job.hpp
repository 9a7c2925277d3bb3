#pragma once
// What every part of the jobs feature shares: ids, states, the notification
// channel, and the parsed form of a job JSON (README, "Background jobs"), which is built by SQL
// (asyncpage.job_json) and travels as the NOTIFY payload, where it is only a hint
// (README, "Security"): a worker reads the job back before acting on it.
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
// The fields of a job JSON the server needs; nullopt when it is not one. For JSON
// read from asyncpage.jobs (asyncpage.job_json), never for a notification payload.
std::optional<JobEvent> parse_job_event(std::string_view json);

// What a notification payload may tell: which job to read back (a canonical id,
// lower-cased) and whether it claims the job was queued. Anything else in it is
// ignored; nullopt when there is no well-formed id (garbage, not JSON, too long).
struct JobHint {
    std::string id;
    bool queued = false;
};
std::optional<JobHint> parse_job_hint(std::string_view payload);

}  // namespace asyncpage::jobs
