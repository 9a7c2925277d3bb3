#pragma once
// PostgreSQL errors as asyncpage meets them: the SQLSTATE codes it produces or acts
// on, by name (PostgreSQL documentation, Appendix A "PostgreSQL Error Codes"), and
// reading one field of an error result (libpq §34.3.1, PQresultErrorField).
#include <libpq-fe.h>

#include <string>
#include <string_view>

namespace asyncpage::model {

namespace sqlstate {
inline constexpr std::string_view kConnectionFailure = "08006";      // connection lost
inline constexpr std::string_view kFeatureNotSupported = "0A000";    // e.g. a stale cached plan
inline constexpr std::string_view kInvalidParameterValue = "22023";  // a job's params are bad
inline constexpr std::string_view kInvalidSchemaName = "3F000";      // asyncpage.* not migrated
inline constexpr std::string_view kUndefinedTable = "42P01";         // asyncpage.* not migrated
inline constexpr std::string_view kQueryCanceled = "57014";          // cancel or statement_timeout
inline constexpr std::string_view kProgramLimitExceeded = "54000";   // a job over job_max_result
inline constexpr std::string_view kAdminShutdown = "57P01";
inline constexpr std::string_view kCrashShutdown = "57P02";
inline constexpr std::string_view kCannotConnectNow = "57P03";
inline constexpr std::string_view kSerializationFailure = "40001";  // also recovery conflicts
// Raised (as a NOTICE) by asyncpage.progress(pct, message); class AP is ours.
inline constexpr std::string_view kAsyncpageProgress = "AP001";

// Connection exceptions (class 08) and the server shutting down or not yet
// accepting: the database is unavailable, not the query wrong.
inline bool is_unavailable(std::string_view code) {
    return code.starts_with("08") || code == kAdminShutdown || code == kCrashShutdown ||
           code == kCannotConnectNow;
}

// asyncpage's own schema is missing: `asyncpage migrate` has not run (yet).
inline bool is_schema_missing(std::string_view code) {
    return code == kUndefinedTable || code == kInvalidSchemaName;
}
}  // namespace sqlstate

// One field of an error or notice result (PG_DIAG_SQLSTATE, PG_DIAG_MESSAGE_PRIMARY,
// ...); "" when the result has none.
inline std::string error_field(const PGresult* res, int code) {
    const char* v = PQresultErrorField(res, code);
    return v ? v : "";
}

// A standby cancelled the statement to replay WAL that removes row versions or
// takes locks it still needed (PostgreSQL, "Hot Standby": "canceling statement
// due to conflict with recovery", SQLSTATE 40001). The same statement run again
// gets a new snapshot and usually succeeds.
inline bool is_recovery_conflict(const PGresult* res) {
    return error_field(res, PG_DIAG_SQLSTATE) == sqlstate::kSerializationFailure &&
           error_field(res, PG_DIAG_MESSAGE_PRIMARY)
               .starts_with("canceling statement due to conflict with recovery");
}

// libpq's text about a connection (PQerrorMessage) as a visitor may see it: libpq
// names the server it tried ("connection to server at \"10.0.0.5\", port 5433
// failed: ..." or "... on socket \"/run/postgresql/.s.PGSQL.5432\" failed: ..."),
// which tells an anonymous visitor the database's address. Keeps what went wrong
// (the text after the last "failed: ", first line only); the caller logs the whole.
inline std::string public_connection_error(std::string_view why) {
    constexpr std::string_view failed = "failed: ";
    if (auto at = why.rfind(failed); at != std::string_view::npos)
        why.remove_prefix(at + failed.size());
    why = why.substr(0, why.find('\n'));
    while (!why.empty() && (why.back() == ' ' || why.back() == '\r'))
        why.remove_suffix(1);
    // Anything still naming a server is dropped whole.
    if (why.find("server at") != std::string_view::npos ||
        why.find("on socket") != std::string_view::npos ||
        why.find("port ") != std::string_view::npos)
        return "connection failed";
    return why.empty() ? std::string("connection failed") : std::string(why);
}

}  // namespace asyncpage::model
