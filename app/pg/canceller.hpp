#pragma once
// Cancels running queries without blocking the loop. libpq 15 only has the blocking
// PQcancel (it opens a new connection to the postmaster: 1.5-7 ms each, measured),
// so a few helper threads send the cancel requests and report back through a pipe
// watched by the loop. pg_cancel_backend() on another connection was the other
// option; it needs a free pooled connection exactly when the pool is exhausted by
// slow queries, which is when cancels matter most.
#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "loop/event_loop.hpp"

namespace asyncpage::pg {

class Canceller {
  public:
    // `on_sent(token)` runs on the loop thread once the cancel request for `token`
    // has been delivered (or failed): only then may the connection be reused, or a
    // late cancel could hit the next query on it.
    // Four threads: each PQcancel is a new connection to the postmaster (a few ms),
    // and when nginx drops a thousand pending pages at once (measured: wrk ending
    // a 1,000-connection run), two threads held connections in Cancelling for 2.5 s.
    Canceller(loop::EventLoop& loop, std::function<void(std::uint64_t token)> on_sent,
              int threads = 4);
    ~Canceller();
    Canceller(const Canceller&) = delete;
    Canceller& operator=(const Canceller&) = delete;

    // Takes ownership of `cancel` (from PQgetCancel, which does not block). A
    // null `cancel` (libpq could not make one) has nothing to send: on_sent
    // follows on the next loop pass all the same. The threads start with the
    // first request, so a pool that never cancels has none.
    void cancel(PGcancel* cancel, std::uint64_t token);

  private:
    void work();
    void on_pipe();
    void report(std::uint64_t token);

    loop::EventLoop& loop_;
    std::function<void(std::uint64_t)> on_sent_;
    int thread_count_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::pair<PGcancel*, std::uint64_t>> queue_;
    std::vector<std::uint64_t> done_;
    bool stopping_ = false;
    int pipe_[2] = {-1, -1};
    std::vector<std::thread> threads_;
};

}  // namespace asyncpage::pg
