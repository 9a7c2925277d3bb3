// StatementSpeeds: a ring of "over the limit?" per statement and its count, so
// a verdict is O(1).
#include "pg/statement_speeds.hpp"

namespace asyncpage::pg {

void StatementSpeeds::record(const std::string& key, Clock::duration took) {
    auto it = runs_.find(key);
    if (it == runs_.end()) {
        if (runs_.size() >= kMaxStatements) runs_.clear();
        it = runs_.emplace(key, Runs{}).first;
    }
    Runs& r = it->second;
    bool slow = took > fast_limit_;
    if (r.count == kWindow) {
        r.slow_count -= r.slow[r.next] ? 1 : 0;
    } else {
        ++r.count;
    }
    r.slow[r.next] = slow;
    r.slow_count += slow ? 1 : 0;
    r.next = (r.next + 1) % kWindow;
}

bool StatementSpeeds::fast(const std::string& key) const {
    auto it = runs_.find(key);
    if (it == runs_.end()) return false;
    const Runs& r = it->second;
    return r.count >= kMinRuns && r.slow_count <= kSlowAllowed;
}

}  // namespace asyncpage::pg
