#pragma once
// How fast each statement has been lately, so that only statements known to be
// fast share a connection with other pages' (docs/ARCHITECTURE.md, "Sharing a
// connection between pages"). Keyed by a statement's SQL and parameter types;
// one record costs a hash lookup and a few integer operations.
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"

namespace asyncpage::pg {

class StatementSpeeds {
  public:
    // Runs remembered per statement, runs needed before a verdict, and how many of
    // the remembered runs may be over the limit (1 of 64: about the 99th percentile).
    static constexpr std::size_t kWindow = 64;
    static constexpr std::size_t kMinRuns = 16;
    static constexpr std::size_t kSlowAllowed = 1;

    explicit StatementSpeeds(Millis fast_limit = Millis(5)) : fast_limit_(fast_limit) {}

    // One run of `key` took `took` from the moment it was at the head of its
    // connection to its end.
    void record(const std::string& key, Clock::duration took);
    // Known to be fast: at least kMinRuns timed, at most kSlowAllowed of the last
    // kWindow over the limit.
    bool fast(const std::string& key) const;
    Millis fast_limit() const { return fast_limit_; }

  private:
    struct Runs {
        std::array<bool, kWindow> slow{};  // ring of the last runs: over the limit?
        std::size_t next = 0;
        std::size_t count = 0;  // up to kWindow
        std::size_t slow_count = 0;
    };
    Millis fast_limit_;
    // Bounded like the connections' prepared statements: a reports_dir edited
    // for months would otherwise grow it; past the bound it starts afresh.
    static constexpr std::size_t kMaxStatements = 4096;
    std::unordered_map<std::string, Runs> runs_;
};

}  // namespace asyncpage::pg
