// Settings of the shared stacks; each starts on first use and stops at the end
// of its test module.
#include "support/stacks.hpp"

namespace support {

Stack& integration_stack() {
    return shared_stack("integration", [] {
        ServerOptions o;
        o.workers = 1;
        o.pool_size = 16;
        o.config["max_body"] = toml_string("1KB");
        o.config["default_timeout"] = toml_string("5s");
        o.config["debug"] = "true";
        return o;
    });
}

Stack& e2e_stack() {
    return shared_stack("e2e", [] {
        ServerOptions o;
        o.workers = 2;
        o.pool_size = 16;
        o.config["debug"] = "true";
        return o;
    });
}

}  // namespace support
