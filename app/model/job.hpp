#pragma once
// A job as the server reads it back from asyncpage.jobs: what the wait screen,
// the JSON answers and the runner share. Plain data, no I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/request.hpp"  // http::Fields

namespace asyncpage::model {

struct JobView {
    std::string id;               // UUID, lower case
    std::string report;           // report name
    std::string state;            // queued|running|succeeded|failed|cancelled
    std::optional<int> progress;  // 0..100 or none
    std::string message;          // latest progress message ("" when none)
    std::int64_t version = 0;
    int attempt = 0;       // runs started (1 for the first; 0 before it)
    int max_attempts = 1;  // 1 + the job's retries
    // ISO 8601 as PostgreSQL's json gives them ("2026-11-21T22:10:03.123+00:00"), ""
    // when null.
    std::string created_at, started_at, finished_at;
    std::string error_sqlstate, error_message;  // failed jobs
    http::Fields params;                        // the params as given when the job was created
    std::string json;  // the job JSON exactly as GET /jobs/ID?format=json returns it (one line)
};

// succeeded, failed, cancelled: a job in one of them never changes again.
bool is_final_state(std::string_view state);

}  // namespace asyncpage::model
