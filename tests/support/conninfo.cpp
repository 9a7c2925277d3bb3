#include "support/conninfo.hpp"

#include <libpq-fe.h>

#include <stdexcept>

#include "support/env.hpp"

namespace support {

std::map<std::string, std::string> parse_conninfo(const std::string& conninfo) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
    if (!opts) {
        std::string why = err ? err : "out of memory";
        PQfreemem(err);
        throw std::runtime_error("cannot parse the connection string: " + why);
    }
    std::map<std::string, std::string> out;
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
        if (o->val && *o->val) out[o->keyword] = o->val;
    }
    PQconninfoFree(opts);
    return out;
}

std::string make_conninfo(const std::map<std::string, std::string>& fields) {
    std::string out;
    for (auto& [k, v] : fields) {
        out += (out.empty() ? "" : " ") + k + "='";
        for (char c : v) {
            if (c == '\\' || c == '\'') out += '\\';
            out += c;
        }
        out += "'";
    }
    return out;
}

std::string test_dsn_with(const std::map<std::string, std::string>& replace) {
    auto fields = parse_conninfo(test_dsn());
    for (auto& [k, v] : replace)
        fields[k] = v;
    return make_conninfo(fields);
}

}  // namespace support
