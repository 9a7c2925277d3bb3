#pragma once
// Releasing a dead worker's leases (docs/ARCHITECTURE.md, "The life of a job"):
// when the supervisor sees a worker die, the jobs that worker ran go back to the
// queue at once (or fail after their last attempt) instead of waiting for their
// leases to expire. The supervisor never talks to PostgreSQL itself: it forks a
// short-lived child for this, which may block.
#include <sys/types.h>

#include <string>

namespace asyncpage::jobs {

// The name a release child gives itself (prctl PR_SET_NAME, /proc/PID/comm), so
// that it is not taken for a worker.
inline constexpr const char* kReleaseProcessName = "asyncpage-rel";

// In the calling process, blocking: every running job leased by worker `pid` of
// this host loses its run (asyncpage.lose_run), `why` saying what happened to
// the worker. Returns how many jobs were released; logs and returns -1 when the
// jobs database could not be reached or refused.
int release_worker_leases(const std::string& jobs_dsn, pid_t pid, const std::string& why);

// Forks a child that runs release_worker_leases and exits; returns its pid (0 when
// fork failed, which is logged: the leases then expire instead).
pid_t fork_release(const std::string& jobs_dsn, pid_t pid, const std::string& why);

}  // namespace asyncpage::jobs
