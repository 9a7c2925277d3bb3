// Registry of live process logs and a Boost.Test observer that dumps their tails
// to stderr after a failed test case, so a CI log shows what the server said.
#include "support/log_registry.hpp"

#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <iostream>
#include <mutex>
#include <vector>

#include "support/env.hpp"
#include "support/http.hpp"
#include "support/stack.hpp"

namespace support {

namespace {

struct Entry {
    std::string what;
    std::filesystem::path path;
};

std::mutex registry_mutex;
std::vector<Entry>& registry() {
    static std::vector<Entry> entries;
    return entries;
}

class FailureObserver : public boost::unit_test::test_observer {
  public:
    void test_unit_start(const boost::unit_test::test_unit&) override { failed_ = false; }
    void assertion_result(boost::unit_test::assertion_result ar) override {
        if (ar == boost::unit_test::AR_FAILED) failed_ = true;
    }
    void exception_caught(const boost::execution_exception&) override { failed_ = true; }
    void test_unit_aborted(const boost::unit_test::test_unit&) override { failed_ = true; }
    void test_unit_finish(const boost::unit_test::test_unit& tu, unsigned long) override {
        failed_ = failed_ && [] {
            std::lock_guard lock(registry_mutex);
            return !registry().empty();
        }();
        if (!failed_) return;
        std::cerr << "\n=== " << tu.full_name() << " failed: tails of the process logs ===\n";
        dump_logs();
        failed_ = false;
    }

    bool failed() const { return failed_; }

  private:
    bool failed_ = false;
};

FailureObserver& observer() {
    static FailureObserver obs;
    return obs;
}

}  // namespace

void register_log(const std::string& what, const std::filesystem::path& path) {
    std::lock_guard lock(registry_mutex);
    registry().push_back({what, path});
}

void unregister_log(const std::filesystem::path& path) {
    std::lock_guard lock(registry_mutex);
    auto& r = registry();
    std::erase_if(r, [&](const Entry& e) { return e.path == path; });
}

void dump_log(const std::string& what, const std::filesystem::path& path, int lines) {
    std::cerr << "--- " << what << " (" << path.string() << "), last " << lines << " lines ---\n"
              << tail_file(path, lines) << "--- end of " << what << " ---\n";
}

void dump_logs(int lines) {
    std::lock_guard lock(registry_mutex);
    for (const auto& e : registry())
        dump_log(e.what, e.path, lines);
}

bool current_test_failed() {
    return observer().failed();
}

GlobalSetup::GlobalSetup() {
    ::signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    http_init();
    boost::unit_test::framework::register_observer(observer());
}

GlobalSetup::~GlobalSetup() {
    stop_shared_stacks();
    boost::unit_test::framework::deregister_observer(observer());
}

}  // namespace support
