#pragma once
// asyncpage's schema migrations (sql/migrations/NNN_name.sql), compiled in by CMake.
#include <string_view>
#include <vector>

namespace asyncpage {

struct Migration {
    int version;
    std::string_view name;
    std::string_view sql;
};
// In version order.
const std::vector<Migration>& migrations();

}  // namespace asyncpage
