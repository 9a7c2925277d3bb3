#pragma once
// Built-in PostgreSQL types by name: the OIDs asyncpage binds params as, renders
// by, or names in `columns`. Values of src/include/catalog/pg_type.dat, stable
// across PostgreSQL versions (libpq ships no header for them; the server's
// catalog/pg_type_d.h names them BOOLOID, INT8OID, ...).
#include <postgres_ext.h>  // Oid

#include <string_view>

namespace asyncpage::model {

namespace pg_type {
inline constexpr Oid kUnspecified = 0;  // in a bind: let the server infer the type
inline constexpr Oid kBool = 16;
inline constexpr Oid kBytea = 17;
inline constexpr Oid kChar = 18;
inline constexpr Oid kName = 19;
inline constexpr Oid kInt8 = 20;
inline constexpr Oid kInt2 = 21;
inline constexpr Oid kInt4 = 23;
inline constexpr Oid kText = 25;
inline constexpr Oid kOid = 26;
inline constexpr Oid kJson = 114;
inline constexpr Oid kXml = 142;
inline constexpr Oid kFloat4 = 700;
inline constexpr Oid kFloat8 = 701;
inline constexpr Oid kBoolArray = 1000;
inline constexpr Oid kInt4Array = 1007;
inline constexpr Oid kTextArray = 1009;
inline constexpr Oid kVarcharArray = 1015;
inline constexpr Oid kInt8Array = 1016;
inline constexpr Oid kFloat8Array = 1022;
inline constexpr Oid kBpchar = 1042;
inline constexpr Oid kVarchar = 1043;
inline constexpr Oid kDate = 1082;
inline constexpr Oid kTime = 1083;
inline constexpr Oid kTimestamp = 1114;
inline constexpr Oid kTimestamptz = 1184;
inline constexpr Oid kInterval = 1186;
inline constexpr Oid kNumericArray = 1231;
inline constexpr Oid kTimetz = 1266;
inline constexpr Oid kNumeric = 1700;
inline constexpr Oid kUuid = 2950;
inline constexpr Oid kJsonb = 3802;
}  // namespace pg_type

// PostgreSQL's name for a type OID above ("int4", "numeric", "_text", ...) as
// pg_type.typname spells it; "unknown" for any other OID.
std::string_view type_name(Oid oid);

}  // namespace asyncpage::model
