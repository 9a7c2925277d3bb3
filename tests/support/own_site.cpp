// The helpers of the holes suites: temp report dirs, named dsns, counts of one
// server's backends, and job requests through a Stack.
#include "support/own_site.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "support/cli.hpp"

namespace support::own_site {

ReportDir::ReportDir(const Reports& reports) : path_(dir_.path()) {
    for (const auto& [name, sql] : reports)
        write(name, sql);
}

void ReportDir::write(const std::string& name, const std::string& sql) const {
    write_file(path_ / (name + ".sql"), sql);
}

long long count_running(Pg& pg, const std::string& marker) {
    return pg.scalar_int(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
        "AND pid <> pg_backend_pid() AND strpos(query, $1) > 0",
        marker);
}

namespace {

// Inodes of the sockets a process has open.
std::set<std::string> socket_inodes(pid_t pid) {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& fd :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        std::error_code lec;
        std::string target = std::filesystem::read_symlink(fd.path(), lec).string();
        if (!lec && target.rfind("socket:[", 0) == 0) {
            out.insert(target.substr(8, target.size() - 9));
        }
    }
    return out;
}

}  // namespace

std::map<pid_t, int> marked_backends_per_process(Pg& pg, const std::string& marker,
                                                 const std::vector<pid_t>& processes) {
    std::string pids = pg.scalar(
        "SELECT coalesce(string_agg(pid::text, ' '), '') FROM pg_stat_activity "
        "WHERE state = 'active' AND pid <> pg_backend_pid() AND strpos(query, '" +
        marker + "') > 0");
    // Unix stream sockets: "u_str ESTAB 0 0 LOCAL_PATH|* INODE PEER_PATH|* PEER_INODE".
    CliResult ss = run_cli({"/usr/bin/ss", "-xn"}, {}, std::chrono::seconds(10));
    if (ss.exit_code != 0) throw std::runtime_error("ss -xn failed: " + ss.output);
    std::map<std::string, std::string> peer;
    std::istringstream lines(ss.output);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream f(line);
        std::string netid, state, rq, sq, local, local_inode, remote, remote_inode;
        if (f >> netid >> state >> rq >> sq >> local >> local_inode >> remote >> remote_inode) {
            peer[local_inode] = remote_inode;
        }
    }
    std::map<pid_t, std::set<std::string>> owned;
    std::map<pid_t, int> counts;
    for (pid_t p : processes) {
        owned[p] = socket_inodes(p);
        counts[p] = 0;
    }
    std::istringstream backends(pids);
    pid_t backend = 0;
    while (backends >> backend) {
        for (const auto& inode : socket_inodes(backend)) {
            auto it = peer.find(inode);
            if (it == peer.end()) continue;
            for (auto& [p, inodes] : owned) {
                if (inodes.count(it->second)) ++counts[p];
            }
        }
    }
    return counts;
}

Response post_job(const Stack& s, const std::string& report, const std::string& form) {
    Request req;
    req.url = "/reports/" + report + "/jobs";
    req.method = "POST";
    req.body = form;
    req.headers = {"Accept: application/json", "Content-Type: application/x-www-form-urlencoded"};
    return s.send(req);
}

nlohmann::json create_job(const Stack& s, const std::string& report, const std::string& form) {
    Response r = post_job(s, report, form);
    BOOST_TEST_REQUIRE(r.status == 202, r.summary() << " " << r.body);
    return parse_json(r);
}

nlohmann::json job_json(const Stack& s, const std::string& id) {
    Response r = s.get("/jobs/" + id, {"Accept: application/json"});
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body);
    return parse_json(r);
}

bool job_final(const nlohmann::json& j) {
    auto st = j["state"].get<std::string>();
    return st == "succeeded" || st == "failed" || st == "cancelled";
}

nlohmann::json wait_job(const Stack& s, const std::string& id,
                        const std::function<bool(const nlohmann::json&)>& pred, double seconds) {
    nlohmann::json j = job_json(s, id);
    auto start = Clock::now();
    while (!pred(j) && seconds_since(start) < seconds) {
        Response r = s.get("/jobs/" + id + "/wait?timeout=2&since=" +
                               std::to_string(j["version"].get<long long>()),
                           {"Accept: application/json"}, 10000);
        BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body);
        j = parse_json(r);
    }
    return j;
}

}  // namespace support::own_site
