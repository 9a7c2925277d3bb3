#pragma once
// How long to wait before connecting again after `failures` failures in a row
// (1 or more): 100 ms, doubling, up to 5 s while PostgreSQL is away. The pool's
// connects and the job-events LISTEN connection both use it.
#include <algorithm>

#include "core/clock.hpp"

namespace asyncpage {

inline Millis reconnect_backoff(int failures) {
    int doublings = std::clamp(failures - 1, 0, 6);
    return Millis(std::min<long>(5000, 100L << doublings));
}

}  // namespace asyncpage
