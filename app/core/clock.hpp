#pragma once
// Time types shared by the whole binary: one monotonic clock for deadlines.
#include <chrono>

namespace asyncpage {
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Millis = std::chrono::milliseconds;

inline double ms_between(TimePoint a, TimePoint b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}
}  // namespace asyncpage
