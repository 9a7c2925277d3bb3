// The job states that are final; one definition for the runner, the routes and
// the wait screen.
#include "model/job.hpp"

namespace asyncpage::model {

bool is_final_state(std::string_view state) {
    return state == "succeeded" || state == "failed" || state == "cancelled";
}

}  // namespace asyncpage::model
