// The dsn is parsed with libpq's own PQconninfoParse (a key=value string or a
// postgresql:// URI alike); host lists are comma-separated (libpq, "Specifying
// Multiple Hosts").
#include "pg/host_order.hpp"

#include <libpq-fe.h>
#include <pg_config.h>

#include <algorithm>
#include <numeric>

namespace asyncpage::pg {

namespace {
std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t comma = text.find(',', start);
        out.push_back(text.substr(start, comma == std::string::npos ? comma : comma - start));
        if (comma == std::string::npos) return out;
        start = comma + 1;
    }
}
}  // namespace

HostOrder::HostOrder(const std::string& dsn) {
    PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), nullptr);
    if (!opts) return;  // the connection itself will say what is wrong
    std::string attrs;
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
        if (!o->val || !*o->val) continue;
        const std::string keyword = o->keyword;
        if (keyword == "target_session_attrs") attrs = o->val;
        if (keyword == "host" || keyword == "hostaddr" || keyword == "port")
            lists_.emplace_back(keyword, split_commas(o->val));
    }
    PQconninfoFree(opts);
    for (auto& [keyword, values] : lists_)
        count_ = std::max(count_, values.size());
    // Keys as PQhost/PQport give them: host if given, else hostaddr; port per
    // host, one for all, or libpq's default.
    auto value = [&](const char* keyword, std::size_t i) -> std::string {
        for (auto& [k, values] : lists_) {
            if (k != keyword) continue;
            if (values.size() == count_) return values[i];
            if (values.size() == 1) return values[0];
        }
        return "";
    };
    for (std::size_t i = 0; i < count_; ++i) {
        std::string host = value("host", i);
        if (host.empty()) host = value("hostaddr", i);
        std::string port = value("port", i);
        keys_.push_back(key(host, port.empty() ? std::to_string(DEF_PGPORT) : port));
    }
    spreads_ =
        count_ > 1 && (attrs == "standby" || attrs == "prefer-standby" || attrs == "read-only");
}

std::string HostOrder::key(const std::string& host, const std::string& port) {
    return host + ":" + port;
}

std::vector<std::pair<std::string, std::string>> HostOrder::next(
    std::mt19937& rng, const std::vector<std::string>& down) const {
    std::vector<std::pair<std::string, std::string>> out;
    if (count_ < 2) return out;
    std::vector<std::size_t> order(count_);
    std::iota(order.begin(), order.end(), 0);
    if (spreads_) std::shuffle(order.begin(), order.end(), rng);
    auto is_down = [&](std::size_t i) {
        return std::find(down.begin(), down.end(), keys_[i]) != down.end();
    };
    std::stable_partition(order.begin(), order.end(), [&](std::size_t i) { return !is_down(i); });
    if (!spreads_ && std::is_sorted(order.begin(), order.end())) return out;
    for (const auto& [keyword, values] : lists_) {
        // One value (a port for every host) stays as the dsn has it; a count
        // that matches no host list is the dsn's mistake, which libpq reports.
        if (values.size() != count_) continue;
        std::string joined;
        for (std::size_t i : order)
            joined += (joined.empty() ? "" : ",") + values[i];
        out.emplace_back(keyword, joined);
    }
    return out;
}

}  // namespace asyncpage::pg
