#pragma once
// Test-only fault injection, compiled in only when the test suites are built
// (ASYNCPAGE_TESTS=ON defines ASYNCPAGE_TEST_HOOKS for test_hooks.cpp alone);
// scripts/install builds without them, so an installed binary's maybe_throw is
// empty and reads no environment. README, "Tests", documents the variable.
//
//   ASYNCPAGE_TEST_THROW=POINT:NAME[,POINT:NAME...]   NAME * matches any
//     rows:REPORT   a run of REPORT (page or job) throws std::bad_alloc when
//                   rows arrive (inside the run's barrier, report_run.cpp)
//     watch:JOBID   a long poll or event stream on JOBID throws
//                   std::runtime_error when it applies the job's state
//     jobs:STEP     a job request throws std::runtime_error in the store's
//                   callback STEP (create, read, result, sections, cancel:
//                   JobRoutes::guarded)
#include <string_view>

namespace asyncpage::test_hooks {

// Throws as described above when the environment asks for `point` and `name`;
// does nothing in a build without the hooks.
void maybe_throw(std::string_view point, std::string_view name);

}  // namespace asyncpage::test_hooks
