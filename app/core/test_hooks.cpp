// Test-only fault injection (core/test_hooks.hpp): read once from the environment.
#include "core/test_hooks.hpp"

#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>

namespace asyncpage::test_hooks {

#ifndef ASYNCPAGE_TEST_HOOKS
void maybe_throw(std::string_view, std::string_view) {}
#else
void maybe_throw(std::string_view point, std::string_view name) {
    static const std::string spec = [] {
        const char* v = std::getenv("ASYNCPAGE_TEST_THROW");
        return std::string(v ? v : "");
    }();
    std::string_view rest = spec;
    while (!rest.empty()) {  // POINT:NAME[,POINT:NAME...]
        std::size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        std::size_t colon = item.find(':');
        if (colon == std::string_view::npos || item.substr(0, colon) != point) continue;
        std::string_view want = item.substr(colon + 1);
        if (want != "*" && want != name) continue;
        if (point == "rows") throw std::bad_alloc();
        throw std::runtime_error("ASYNCPAGE_TEST_THROW at " + std::string(point));
    }
}

#endif

}  // namespace asyncpage::test_hooks
