// Out of file descriptors: when accept() fails with EMFILE the listen socket stays
// readable, and a loop that keeps polling it spins (FACTS.md). The worker must
// look away instead, use no CPU while it waits, and serve everything once fds
// are free again.
#include <sys/resource.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <sstream>
#include <thread>

#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

namespace {
// utime + stime of a process, in seconds.
double cpu_seconds(pid_t pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));  // fields after "(comm)"
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stol(field);
        if (i == 15) stime = std::stol(field);
    }
    return double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(fd_limit)

BOOST_AUTO_TEST_CASE(out_of_fds_does_not_spin_and_recovers) {
    ServerOptions o;
    o.workers = 1;
    o.pool_size = 16;
    Stack s(o);
    pid_t worker = s.server().wait_workers(1).at(0);

    // Open the pool's connections first: later, fds go to FastCGI requests only.
    std::vector<Request> warm(8, s.request("/reports/hold1?format=json", 10000));
    for (auto& r : run_concurrent(warm))
        BOOST_TEST_REQUIRE(r.status == 200, r.summary());

    int fds = Server::open_fds(worker);
    // Only the soft limit: raising a hard limit back needs CAP_SYS_RESOURCE.
    rlimit old{};
    BOOST_TEST_REQUIRE(::prlimit(worker, RLIMIT_NOFILE, nullptr, &old) == 0);
    rlimit tight{rlim_t(fds + 4), old.rlim_max};
    BOOST_TEST_REQUIRE(::prlimit(worker, RLIMIT_NOFILE, &tight, nullptr) == 0);
    BOOST_TEST_MESSAGE("worker " << worker << " holds " << fds << " fds; limit set to " << fds + 4);

    // 24 one-second pages at once. nginx sends up to 8 of them on the connections
    // it kept from the warm-up (counted in `fds`); the others need new ones, and
    // there are 4 fds to take them: the rest wait in the backlog.
    auto start = Clock::now();
    std::vector<Request> burst(24, s.request("/reports/hold1?format=json", 20000));
    auto pending = run_concurrent_async(burst);
    // The CPU is measured while the worker is out of fds, so from its first pause.
    bool paused =
        wait_until([&] { return contains(s.server().log_tail(400), "pausing accepts"); }, 3s, 10ms);
    BOOST_TEST_REQUIRE(paused, "the worker never ran out of fds: the test would prove nothing");
    double cpu_before = cpu_seconds(worker);
    std::this_thread::sleep_for(1000ms);
    double cpu_used = cpu_seconds(worker) - cpu_before;
    BOOST_TEST_MESSAGE("worker CPU while out of fds: " << cpu_used << " s in 1 s");
    // A loop spinning on the readable listen socket burns the whole second.
    BOOST_TEST(cpu_used < 0.3);

    auto responses = pending.get();
    double took = seconds_since(start);
    int ok = 0;
    for (auto& r : responses)
        ok += r.status == 200;
    BOOST_TEST_MESSAGE(ok << "/24 pages answered 200 in " << took << " s");
    BOOST_TEST(ok == 24, "every page waiting for an fd is served once fds are free");
    BOOST_TEST(s.server().log_tail(400).find("pausing accepts") != std::string::npos,
               "the worker never ran out of fds: the test proved nothing");

    BOOST_TEST_REQUIRE(::prlimit(worker, RLIMIT_NOFILE, &old, nullptr) == 0);
    BOOST_TEST(s.get("/reports/trivial?format=json").status == 200);
    BOOST_TEST((s.server().worker_pids() == std::vector<pid_t>{worker}));
}

BOOST_AUTO_TEST_SUITE_END()
