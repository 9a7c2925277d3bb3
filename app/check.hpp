#pragma once
// `asyncpage check`: validates config and report files before deploy.
#include "config/config.hpp"

namespace asyncpage {
// Prints each problem as FILE:LINE: message; returns 0 when all is well, else 1.
int run_check(const config::Config& config);
}  // namespace asyncpage
