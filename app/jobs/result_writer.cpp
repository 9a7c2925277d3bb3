// ResultWriter: a job run's rows, chunk by chunk, into the job store.
#include "jobs/result_writer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "model/pg_error.hpp"

namespace asyncpage::jobs {

std::string format_size(std::size_t bytes) {
    constexpr std::size_t kK = 1024;
    for (auto [unit, name] : {std::pair{kK * kK * kK, "GB"}, {kK * kK, "MB"}, {kK, "KB"}}) {
        if (bytes >= unit && bytes % unit == 0) return fmt::format("{}{}", bytes / unit, name);
    }
    return fmt::format("{} bytes", bytes);
}

ResultWriter::ResultWriter(Store& store, std::string job_id, std::string runner,
                           std::size_t sections, ResultLimits limits)
    : store_(store),
      job_id_(std::move(job_id)),
      runner_(std::move(runner)),
      limits_(limits),
      shapes_(sections),
      pending_(sections),
      self_(std::make_shared<ResultWriter*>(this)) {}

bool ResultWriter::add(std::size_t section, const PGresult* rows) {
    if (failure_) return false;
    if (finishing_) return true;
    auto& shape = shapes_[section];
    if (shape.columns.empty()) {
        int n = PQnfields(rows);
        for (int c = 0; c < n; ++c)
            shape.columns.push_back({PQfname(rows, c), PQftype(rows, c)});
    }
    auto& p = pending_[section];
    int count = PQntuples(rows);
    for (int r = 0; r < count; ++r) {
        std::size_t before = p.rows.size();
        p.rows += p.count == 0 ? '[' : ',';
        append_chunk_row(p.rows, rows, r);
        total_bytes_ += p.rows.size() - before;
        ++p.count;
        ++shape.rows;
        if (total_bytes_ > limits_.max_result) {
            fail({std::string(model::sqlstate::kProgramLimitExceeded),
                  fmt::format("the result exceeded job_max_result ({}) after {} rows of "
                              "section {}: it was not stored",
                              format_size(limits_.max_result), shape.rows, section + 1),
                  false});
            return false;
        }
        if (p.rows.size() >= limits_.chunk_bytes || p.count >= limits_.chunk_rows) store(section);
    }
    if (in_flight_bytes_ > limits_.max_in_flight && on_backpressure) {
        paused_ = true;
        on_backpressure(true);  // again for every late row: a task may have started since
    }
    return !failure_;
}

void ResultWriter::store(std::size_t section) {
    auto& p = pending_[section];
    if (p.count == 0) return;
    Chunk chunk;
    chunk.position = static_cast<int>(section);
    chunk.number = p.next_chunk++;
    chunk.first_row = p.first_row;
    chunk.row_count = p.count;
    chunk.rows = std::move(p.rows);
    chunk.rows += ']';
    p.first_row += p.count;
    p.count = 0;
    p.rows.clear();
    std::size_t bytes = chunk.rows.size();
    in_flight_bytes_ += bytes;
    ++in_flight_;
    store_.write_chunk(job_id_, runner_, chunk, [self = self_, bytes](pg::Outcome& o, bool stored) {
        ResultWriter* w = *self;
        if (!w) return;
        w->in_flight_bytes_ -= bytes;
        --w->in_flight_;
        if (!o.ok) {
            w->fail({o.sqlstate, "storing the job's result failed: " + o.message, false});
        } else if (!stored) {
            w->fail({{}, "the job is no longer this run's", true});
        }
        if (w->paused_ && w->in_flight_bytes_ <= w->limits_.max_in_flight / 2) {
            w->paused_ = false;
            if (w->on_backpressure) w->on_backpressure(false);
        }
        w->check_done();
    });
}

void ResultWriter::fail(WriteFailure failure) {
    if (failure_) return;
    failure_ = std::move(failure);
    for (auto& p : pending_) {
        p.rows.clear();
        p.rows.shrink_to_fit();
        p.count = 0;
    }
    if (on_failure) on_failure(*failure_);
}

void ResultWriter::finish(bool flush, std::function<void()> done) {
    finishing_ = true;
    done_ = std::move(done);
    if (flush && !failure_) {
        for (std::size_t i = 0; i < pending_.size(); ++i)
            store(i);
    }
    check_done();
}

void ResultWriter::check_done() {
    if (!finishing_ || in_flight_ > 0 || !done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done();
}

}  // namespace asyncpage::jobs
