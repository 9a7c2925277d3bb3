#pragma once
// The rows of one job run on their way into asyncpage.job_result_chunks: each
// section's rows are encoded as they arrive (single-row mode) into a chunk, and a
// full chunk is stored at once through the job Store, so a job's memory is a few
// chunks, never its result. While more than `max_in_flight` bytes wait to be
// stored, the writer asks its run to stop reading rows (backpressure down to
// PostgreSQL); it asks it to go on once they were stored. The total is checked
// against job_max_result.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jobs/codec.hpp"
#include "jobs/store.hpp"

namespace asyncpage::jobs {

struct ResultLimits {
    std::size_t max_result = std::size_t(1) << 30;  // job_max_result: bytes of stored rows
    std::size_t chunk_bytes = 256 * 1024;           // a chunk is stored once this full
    int chunk_rows = 2000;                          // ... or once it has this many rows
    std::size_t max_in_flight = 4 * 1024 * 1024;    // bytes handed to the store, not stored yet
};

// Why the writer stopped taking rows.
struct WriteFailure {
    std::string sqlstate, message;
    bool lost_job = false;  // the job is no longer this run's: nothing more may be written
};

class ResultWriter {
  public:
    ResultWriter(Store& store, std::string job_id, std::string runner, std::size_t sections,
                 ResultLimits limits);
    ~ResultWriter() { *self_ = nullptr; }
    ResultWriter(const ResultWriter&) = delete;
    ResultWriter& operator=(const ResultWriter&) = delete;

    // Asks the run to stop (true) or go on (false) reading rows.
    std::function<void(bool pause)> on_backpressure;
    // The first failure (over job_max_result, a chunk not stored, the job lost): the
    // run must stop; set() stays the first one.
    std::function<void(const WriteFailure& failure)> on_failure;

    // The rows of `section` in a single-row mode result (or an empty TUPLES_OK,
    // which only gives the columns). False once the writer failed.
    bool add(std::size_t section, const PGresult* rows);
    // Stores what is still in partial chunks (when `flush`), then calls `done` once
    // nothing is in flight any more. Rows added after this are ignored.
    void finish(bool flush, std::function<void()> done);

    const std::optional<WriteFailure>& failure() const { return failure_; }
    const std::vector<SectionShape>& shapes() const { return shapes_; }
    std::size_t stored_bytes() const { return total_bytes_; }

  private:
    struct Pending {
        std::string rows;  // "[" rows "," ... (the closing "]" is added when stored)
        int count = 0;
        int next_chunk = 0;
        std::int64_t first_row = 0;
    };
    void store(std::size_t section);
    void fail(WriteFailure failure);
    void check_done();

    Store& store_;
    std::string job_id_, runner_;
    ResultLimits limits_;
    std::vector<SectionShape> shapes_;
    std::vector<Pending> pending_;
    std::size_t total_bytes_ = 0;
    std::size_t in_flight_bytes_ = 0;
    int in_flight_ = 0;
    bool paused_ = false;
    bool finishing_ = false;
    std::optional<WriteFailure> failure_;
    std::function<void()> done_;
    // Store callbacks may come after this writer is gone (a run closed while a
    // chunk was in flight): they hold this and check it.
    std::shared_ptr<ResultWriter*> self_;
};

// "1GB", "512MB", "100KB" or "N bytes": a size as job_max_result was given.
std::string format_size(std::size_t bytes);

}  // namespace asyncpage::jobs
