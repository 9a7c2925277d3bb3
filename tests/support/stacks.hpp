#pragma once
// The shared stacks of the two suites, with the settings their tests rely on
// (documented here so a test can say why a number holds).
#include "support/stack.hpp"

namespace support {

// Integration: workers = 1 (so /metrics counters are the whole server's), pool_size 16,
// max_body "1KB", default_timeout "5s", debug = true.
Stack& integration_stack();

// E2E: workers = 2, pool_size 16, debug = true.
Stack& e2e_stack();

}  // namespace support
