// Job ids, states and job JSON parsing.
#include "jobs/job.hpp"

#include <cctype>
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

std::optional<JobHint> parse_job_hint(std::string_view payload) {
    // PostgreSQL caps a payload below 8000 bytes; anything longer is not ours.
    if (payload.size() >= 8000) return std::nullopt;
    auto j = nlohmann::json::parse(payload, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    auto id = j.find("id");
    if (id == j.end() || !id->is_string()) return std::nullopt;
    const auto& text = id->get_ref<const std::string&>();
    if (!is_job_id(text)) return std::nullopt;
    JobHint hint;
    hint.id = text;
    for (char& c : hint.id)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto state = j.find("state");
    hint.queued = state != j.end() && state->is_string() && *state == "queued";
    return hint;
}

}  // namespace asyncpage::jobs
