#pragma once
// Helpers for suites that bring their own reports: report files written
// by the test itself into a temp dir, jobs created and followed through a Stack,
// and backends counted by a marker of the test's own (never cluster-wide).
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/env.hpp"
#include "support/pg.hpp"
#include "support/stack.hpp"

namespace support::own_site {

// Report files by name (without .sql) -> SQL text.
using Reports = std::map<std::string, std::string>;

// A reports dir of the test's own.
class ReportDir {
  public:
    explicit ReportDir(const Reports& reports);
    const std::filesystem::path& path() const { return path_; }
    void write(const std::string& name, const std::string& sql) const;

  private:
    TempDir dir_{"asyncpage-own-reports"};
    std::filesystem::path path_;
};

// Backends (any application) whose current statement contains `marker`.
long long count_running(Pg& pg, const std::string& marker);

// How many backends running `marker` each of `workers` is connected to (through
// /proc/PID/fd socket inodes and `ss -xn` peers): which worker holds which page.
std::map<pid_t, int> marked_backends_per_process(Pg& pg, const std::string& marker,
                                                 const std::vector<pid_t>& processes);

// POST /reports/NAME/jobs with a form body, as a script does (JSON answer).
Response post_job(const Stack& s, const std::string& report, const std::string& form);
// post_job that must give 202; the job JSON.
nlohmann::json create_job(const Stack& s, const std::string& report, const std::string& form);
nlohmann::json job_json(const Stack& s, const std::string& id);
// Follows the job with long polls until `pred` holds or `seconds` pass; the last JSON.
nlohmann::json wait_job(const Stack& s, const std::string& id,
                        const std::function<bool(const nlohmann::json&)>& pred,
                        double seconds = 20);
bool job_final(const nlohmann::json& j);

}  // namespace support::own_site
