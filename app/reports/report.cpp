// Formatting of report parse errors. The "FILE:LINE: message" shape is what
// `asyncpage check` prints (README, "Commands") and what editors jump to.
#include "reports/report.hpp"

namespace asyncpage::reports {

std::string ParseError::to_string() const {
    // Line 0 means "the file as a whole" (unreadable, bad name): no line to jump to.
    if (line <= 0) return file + ": " + message;
    return file + ":" + std::to_string(line) + ": " + message;
}

}  // namespace asyncpage::reports
