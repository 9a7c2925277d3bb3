// Job ids, states and job JSON parsing.
#include "jobs/job.hpp"

#include <nlohmann/json.hpp>

namespace asyncpage::jobs {

bool is_job_id(std::string_view id) {
    if (id.size() != 36) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        char c = id[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

std::optional<JobEvent> parse_job_event(std::string_view json) {
    auto j = nlohmann::json::parse(json, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    auto id = j.find("id");
    auto state = j.find("state");
    auto version = j.find("version");
    if (id == j.end() || !id->is_string() || state == j.end() || !state->is_string() ||
        version == j.end() || !version->is_number_integer()) {
        return std::nullopt;
    }
    return JobEvent{id->get<std::string>(), state->get<std::string>(),
                    version->get<std::int64_t>()};
}

}  // namespace asyncpage::jobs
