// Names of section and page outcomes, as they appear in JSON, HTML badges and logs.
// They are part of the JSON contract (README, "JSON"): change them only with it.
#include "model/result.hpp"

namespace asyncpage::model {

const char* to_string(SectionStatus s) {
    switch (s) {
        case SectionStatus::Ok:
            return "ok";
        case SectionStatus::Timeout:
            return "timeout";
        case SectionStatus::Error:
            return "error";
        case SectionStatus::Cancelled:
            return "cancelled";
    }
    return "cancelled";
}

const char* to_string(PageStatus s) {
    switch (s) {
        case PageStatus::Ok:
            return "ok";
        case PageStatus::Partial:
            return "partial";
        case PageStatus::Error:
            return "error";
        case PageStatus::Timeout:
            return "timeout";
        case PageStatus::Unavailable:
            return "unavailable";
    }
    return "error";
}

}  // namespace asyncpage::model
