// Helper threads that run the blocking PQcancel off the loop thread (see header).
#include "pg/canceller.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <stdexcept>

namespace asyncpage::pg {

Canceller::Canceller(loop::EventLoop& loop, std::function<void(std::uint64_t)> on_sent, int threads)
    : loop_(loop), on_sent_(std::move(on_sent)), thread_count_(threads) {
    if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2 failed");
    loop_.watch(pipe_[0], POLLIN, [this](short) { on_pipe(); });
}

Canceller::~Canceller() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_)
        t.join();
    for (auto& [c, token] : queue_)
        PQfreeCancel(c);
    loop_.unwatch(pipe_[0]);
    ::close(pipe_[0]);
    ::close(pipe_[1]);
}

void Canceller::cancel(PGcancel* cancel, std::uint64_t token) {
    if (!cancel) {
        report(token);
        return;
    }
    if (threads_.empty()) {
        threads_.reserve(std::size_t(thread_count_));
        for (int i = 0; i < thread_count_; ++i)
            threads_.emplace_back([this] { work(); });
    }
    {
        std::lock_guard lock(mutex_);
        queue_.emplace_back(cancel, token);
    }
    wake_.notify_one();
}

// Tells the loop thread, through the pipe, that `token`'s request is done.
void Canceller::report(std::uint64_t token) {
    {
        std::lock_guard lock(mutex_);
        done_.push_back(token);
    }
    char one = 1;
    // A full pipe already means "wake up": losing this byte is fine.
    [[maybe_unused]] auto n = ::write(pipe_[1], &one, 1);
}

void Canceller::work() {
    for (;;) {
        std::pair<PGcancel*, std::uint64_t> item;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            item = queue_.front();
            queue_.pop_front();
        }
        char err[256] = {0};
        // PQcancel is documented as safe to call from another thread (libpq §34.7).
        if (PQcancel(item.first, err, sizeof err) == 0) {
            spdlog::warn("cancel request failed: {}", err);
        }
        PQfreeCancel(item.first);
        report(item.second);
    }
}

void Canceller::on_pipe() {
    char buf[256];
    while (::read(pipe_[0], buf, sizeof buf) > 0) {
    }
    std::vector<std::uint64_t> done;
    {
        std::lock_guard lock(mutex_);
        done.swap(done_);
    }
    for (auto token : done)
        on_sent_(token);
}

}  // namespace asyncpage::pg
