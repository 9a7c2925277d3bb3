// The OID → type name table: what a JSON page lists as a column's "type".
#include "model/pg_types.hpp"

#include <utility>

namespace asyncpage::model {

namespace {
using namespace pg_type;
constexpr std::pair<Oid, std::string_view> kTypeNames[] = {
    {kBool, "bool"},
    {kBytea, "bytea"},
    {kChar, "char"},
    {kName, "name"},
    {kInt8, "int8"},
    {kInt2, "int2"},
    {kInt4, "int4"},
    {kText, "text"},
    {kOid, "oid"},
    {kJson, "json"},
    {kXml, "xml"},
    {kFloat4, "float4"},
    {kFloat8, "float8"},
    {kBoolArray, "_bool"},
    {kInt4Array, "_int4"},
    {kTextArray, "_text"},
    {kVarcharArray, "_varchar"},
    {kInt8Array, "_int8"},
    {kFloat8Array, "_float8"},
    {kBpchar, "bpchar"},
    {kVarchar, "varchar"},
    {kDate, "date"},
    {kTime, "time"},
    {kTimestamp, "timestamp"},
    {kTimestamptz, "timestamptz"},
    {kInterval, "interval"},
    {kNumericArray, "_numeric"},
    {kTimetz, "timetz"},
    {kNumeric, "numeric"},
    {kUuid, "uuid"},
    {kJsonb, "jsonb"},
};
}  // namespace

std::string_view type_name(Oid oid) {
    for (const auto& [o, name] : kTypeNames) {
        if (o == oid) return name;
    }
    return "unknown";
}

}  // namespace asyncpage::model
