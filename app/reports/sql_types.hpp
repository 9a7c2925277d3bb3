#pragma once
// How a declared param type is bound in PostgreSQL. text and enum stay untyped
// (OID 0) so PostgreSQL infers them from context: an enum(a|b) param compared with
// a column of a PostgreSQL enum type must not be forced to text.
#include "model/pg_types.hpp"
#include "reports/report.hpp"

namespace asyncpage::reports {

inline Oid param_type_oid(ParamType t) {
    using namespace model::pg_type;
    switch (t) {
        case ParamType::Int:
            return kInt4;
        case ParamType::Bigint:
            return kInt8;
        case ParamType::Numeric:
            return kNumeric;
        case ParamType::Bool:
            return kBool;
        case ParamType::Date:
            return kDate;
        case ParamType::Timestamp:
            return kTimestamp;
        case ParamType::Text:
        case ParamType::Enum:
            return kUnspecified;
    }
    return kUnspecified;
}

// The same as SQL type names, for PREPARE in `asyncpage check`.
inline const char* param_type_sql(ParamType t) {
    switch (t) {
        case ParamType::Int:
            return "int4";
        case ParamType::Bigint:
            return "int8";
        case ParamType::Numeric:
            return "numeric";
        case ParamType::Bool:
            return "bool";
        case ParamType::Date:
            return "date";
        case ParamType::Timestamp:
            return "timestamp";
        case ParamType::Text:
        case ParamType::Enum:
            return "unknown";
    }
    return "unknown";
}

}  // namespace asyncpage::reports
