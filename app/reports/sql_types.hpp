#pragma once
// How a declared param type is bound in PostgreSQL. text and enum stay untyped
// (OID 0) so PostgreSQL infers them from context: an enum(a|b) param compared with
// a column of a PostgreSQL enum type must not be forced to text.
#include "reports/report.hpp"

namespace asyncpage::reports {

// Built-in type OIDs (pg_type.dat); 0 lets the server infer the type.
inline unsigned param_type_oid(ParamType t) {
    switch (t) {
        case ParamType::Int:
            return 23;  // int4
        case ParamType::Bigint:
            return 20;  // int8
        case ParamType::Numeric:
            return 1700;  // numeric
        case ParamType::Bool:
            return 16;  // bool
        case ParamType::Date:
            return 1082;  // date
        case ParamType::Timestamp:
            return 1114;  // timestamp
        case ParamType::Text:
        case ParamType::Enum:
            return 0;
    }
    return 0;
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
