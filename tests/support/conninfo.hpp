#pragma once
// libpq connection strings for the tests that point a server elsewhere (PgBouncer,
// a standby): parsed with libpq's own PQconninfoParse, written back quoted.
#include <map>
#include <string>

namespace support {

// keyword -> value of every keyword the string sets (throws when libpq cannot parse it).
std::map<std::string, std::string> parse_conninfo(const std::string& conninfo);
// key='value' pairs, quoted as libpq wants ("Connection Strings").
std::string make_conninfo(const std::map<std::string, std::string>& fields);
// test_dsn() with some keywords replaced (host, port, user ...).
std::string test_dsn_with(const std::map<std::string, std::string>& replace);

}  // namespace support
