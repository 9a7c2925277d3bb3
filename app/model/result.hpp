#pragma once
// The outcome of running a report: what the writers render.
#include <string>
#include <vector>

#include "model/table.hpp"

namespace asyncpage::model {

enum class SectionStatus {
    Ok,         // finished; table holds its rows
    Timeout,    // the page's deadline passed before it finished (or before it started)
    Error,      // PostgreSQL reported an error: sqlstate + message
    Cancelled,  // cancelled for another reason (client left, job cancelled)
};
const char* to_string(SectionStatus s);  // "ok", "timeout", "error", "cancelled"

struct SectionResult {
    std::string name;
    SectionStatus status = SectionStatus::Cancelled;
    double elapsed_ms = 0;  // query time (begin to end), excluding connection wait
    Table table;
    // max_rows cut the section (its query was stopped there): `table` holds the
    // first max_rows rows. Status stays Ok (README, "JSON": "truncated").
    bool truncated = false;
    std::string sqlstate;  // Error only
    std::string message;   // Error (PostgreSQL's message) or Timeout/Cancelled explanation
    // For ?trace=1: times relative to the page's start; begin < 0 when never started.
    double wait_ms = 0;  // time spent waiting for a pooled connection
    double begin_ms = -1;
    double end_ms = -1;
};

enum class PageStatus {
    Ok,           // every section ok
    Partial,      // some ok, some timeout/error
    Error,        // every section failed with an error (500)
    Timeout,      // deadline passed and no section finished (504)
    Unavailable,  // no database connection could be had within the deadline (503)
};
const char* to_string(PageStatus s);  // "ok", "partial", "error", "timeout", "unavailable"

struct PageResult {
    std::string report;
    PageStatus status = PageStatus::Ok;
    double elapsed_ms = 0;
    double wait_ms = 0;                   // total time sections waited for a pooled connection
    std::vector<SectionResult> sections;  // file order
};

}  // namespace asyncpage::model
