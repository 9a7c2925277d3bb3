// One mapping shared by the supervisor and every worker it forks. Workers write
// only their own slot; the supervisor folds a dead worker's slot into the retired
// counters. One process-shared mutex guards it all: a publish or a sum takes
// microseconds, and a robust mutex survives a worker killed while holding it
// (pthread_mutexattr_setrobust(3)).
#include "page/metrics_board.hpp"

#include <pthread.h>
#include <sys/mman.h>

#include <cerrno>
#include <new>
#include <system_error>

namespace asyncpage::page {

namespace {

struct Slot {
    bool used = false;
    int index = -1;          // the worker's number
    pid_t pid = 0;           // 0 until the supervisor knows it
    std::uint64_t born = 0;  // order of reservation: the newest wins for ?worker=N
    Figures figures;
};

}  // namespace

struct MetricsBoard::Shared {
    pthread_mutex_t mutex;
    std::uint64_t reservations = 0;
    Figures::Counters retired;
    Slot slots[MetricsBoard::kSlots];
};

struct MetricsBoard::Lock {
    pthread_mutex_t* m;
    explicit Lock(MetricsBoard* board) : m(&board->shared_->mutex) {
        // EOWNERDEAD: a worker died while publishing. Its slot may be torn, but
        // only that slot; the mutex is usable again once marked consistent.
        if (pthread_mutex_lock(m) == EOWNERDEAD) pthread_mutex_consistent(m);
    }
    ~Lock() { pthread_mutex_unlock(m); }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
};

MetricsBoard::MetricsBoard() {
    void* p =
        ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    auto* s = new (p) Shared();
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    int rc = pthread_mutex_init(&s->mutex, &attr);
    pthread_mutexattr_destroy(&attr);
    if (rc != 0) {
        ::munmap(p, sizeof(Shared));
        throw std::system_error(rc, std::generic_category(), "pthread_mutex_init");
    }
    shared_ = s;
}

MetricsBoard::~MetricsBoard() {
    ::munmap(shared_, sizeof(Shared));
}

int MetricsBoard::reserve(int index) {
    Lock lock(this);
    Shared& s = *shared_;
    for (std::size_t i = 0; i < kSlots; ++i) {
        Slot& slot = s.slots[i];
        if (slot.used) continue;
        slot = Slot{};
        slot.used = true;
        slot.index = index;
        slot.born = ++s.reservations;
        return static_cast<int>(i);
    }
    return -1;
}

void MetricsBoard::set_pid(int slot, pid_t pid) {
    if (slot < 0) return;
    Lock lock(this);
    shared_->slots[slot].pid = pid;
}

void MetricsBoard::release(int slot) {
    if (slot < 0) return;
    Lock lock(this);
    shared_->slots[slot] = Slot{};
}

void MetricsBoard::retire(pid_t pid) {
    Lock lock(this);
    Shared& s = *shared_;
    for (Slot& slot : s.slots) {
        if (!slot.used || slot.pid != pid) continue;
        Figures sum;
        sum.counters = s.retired;
        sum.add_counters(slot.figures.counters);
        s.retired = sum.counters;
        slot = Slot{};
        return;
    }
}

void MetricsBoard::publish(int slot, const Figures& figures) {
    if (slot < 0) return;
    Lock lock(this);
    shared_->slots[slot].figures = figures;
}

Figures MetricsBoard::total() {
    Lock lock(this);
    Shared& s = *shared_;
    Figures sum;
    sum.counters = s.retired;
    for (const Slot& slot : s.slots) {
        if (!slot.used) continue;
        sum.add_gauges(slot.figures.gauges);
        sum.add_counters(slot.figures.counters);
    }
    return sum;
}

std::optional<Figures> MetricsBoard::worker(int index) {
    Lock lock(this);
    const Slot* newest = nullptr;
    for (const Slot& slot : shared_->slots) {
        if (slot.used && slot.index == index && (!newest || slot.born > newest->born))
            newest = &slot;
    }
    if (!newest) return std::nullopt;
    return newest->figures;
}

}  // namespace asyncpage::page
