#pragma once
// The figures of every worker of one `serve`, in memory shared by the
// supervisor and its workers (docs/ARCHITECTURE.md, "Metrics"). A scrape through
// any worker sums them, and a worker that ends has its counters folded into the
// "retired" figures, so that counters never go down while `serve` runs.
#include <sys/types.h>

#include <cstddef>
#include <optional>

#include "page/metrics.hpp"

namespace asyncpage::page {

class MetricsBoard {
  public:
    static constexpr std::size_t kSlots = 256;

    // Maps the board (MAP_SHARED | MAP_ANONYMOUS): made by the supervisor before it
    // forks, so every worker sees the same pages. Throws std::system_error.
    MetricsBoard();
    ~MetricsBoard();
    MetricsBoard(const MetricsBoard&) = delete;
    MetricsBoard& operator=(const MetricsBoard&) = delete;

    // Supervisor: a free slot for worker number `index` about to be forked
    // (-1 when all are taken: that worker's figures are then its own only).
    int reserve(int index);
    void set_pid(int slot, pid_t pid);
    // Supervisor: the fork failed; the slot is free again.
    void release(int slot);
    // Supervisor: the worker `pid` ended: its counters join the retired ones, its
    // gauges go, its slot is free again. Unknown pids are ignored.
    void retire(pid_t pid);

    // Worker: this worker's figures now.
    void publish(int slot, const Figures& figures);
    // Every worker's gauges and every counter since `serve` started.
    Figures total();
    // The newest running worker numbered `index`.
    std::optional<Figures> worker(int index);

  private:
    struct Shared;
    struct Lock;
    Shared* shared_;
};

}  // namespace asyncpage::page
