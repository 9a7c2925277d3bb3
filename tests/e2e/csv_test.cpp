// CSV (RFC 4180, CRLF): header, quoting, NULL as an empty unquoted field against
// '' as "", embedded newlines and quotes; a million-row section streams whole
// while the worker's peak RSS stays small; an error after rows ends in #ERROR.
#include <boost/test/unit_test.hpp>

#include "support/csv.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

namespace {

// Counts CRLF-terminated lines of a streamed body, keeping the first bytes and the
// last few kilobytes (for the final lines) instead of the whole body.
struct LineCounter {
    long lines = 0;
    long bytes = 0;
    char prev = 0;
    std::string first;
    std::string tail;
    void operator()(std::string_view chunk) {
        bytes += static_cast<long>(chunk.size());
        if (first.size() < 64) first.append(chunk.substr(0, 64 - first.size()));
        for (char c : chunk) {
            if (c == '\n' && prev == '\r') ++lines;
            prev = c;
        }
        tail.append(chunk);
        if (tail.size() > 16384) tail.erase(0, tail.size() - 8192);
    }
    long total_lines() const { return lines; }
    // The last `n` complete lines (without their CRLF).
    std::vector<std::string> last_lines(size_t n) const {
        std::vector<std::string> out;
        std::string_view t = tail;
        if (t.ends_with("\r\n")) t.remove_suffix(2);
        while (out.size() < n) {
            size_t start = t.rfind("\r\n");
            if (start == std::string_view::npos) break;
            out.insert(out.begin(), std::string(t.substr(start + 2)));
            t = t.substr(0, start);
        }
        return out;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(csv)

BOOST_AUTO_TEST_CASE(quoting_nulls_and_line_ends) {
    Stack& s = e2e_stack();
    Response r = s.get("/reports/csv_quoting?format=csv&section=q");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    std::string type = to_lower(r.header("content-type"));
    std::erase(type, ' ');
    BOOST_TEST(type == "text/csv;charset=utf-8");
    CsvParse p = parse_csv(r.body);
    BOOST_TEST_REQUIRE(p.error.empty(), p.error << " in:\n" << r.body);
    BOOST_TEST_REQUIRE(p.records.size() == 6u, r.body);
    auto& rec = p.records;
    BOOST_TEST(values(rec[0]) == (std::vector<std::string>{"id", "label", "note"}),
               boost::test_tools::per_element());
    for (const auto& record : rec)
        BOOST_TEST_REQUIRE(record.size() == 3u);

    BOOST_TEST(values(rec[1]) == (std::vector<std::string>{"1", "plain", ""}),
               boost::test_tools::per_element());
    BOOST_TEST(!rec[1][2].quoted, "NULL must be an empty unquoted field");

    BOOST_TEST(rec[2][1].value == "");
    BOOST_TEST(rec[2][1].quoted, "'' must be \"\"");
    BOOST_TEST(rec[2][2].value == "a,b");

    BOOST_TEST(rec[3][1].value == "say \"hi\"");
    BOOST_TEST(rec[3][2].value == "line1\nline2");
    BOOST_TEST(contains(r.body, "\"say \"\"hi\"\"\""));

    BOOST_TEST(rec[4][1].value == "\u00fcn\u00ef \u2713");
    BOOST_TEST(rec[4][2].value == " lead");

    BOOST_TEST(rec[5][1].value == "");
    BOOST_TEST(!rec[5][1].quoted, "NULL must be an empty unquoted field");
    BOOST_TEST(rec[5][2].value == "cr\r\nlf");
}

BOOST_AUTO_TEST_CASE(unknown_section_is_a_client_error) {
    Stack& s = e2e_stack();
    Response r = s.get("/reports/csv_quoting?format=csv&section=nope");
    BOOST_TEST(r.status >= 400);
    BOOST_TEST(r.status < 500, r.summary());
}

// ?format= is ASCII case-insensitive on a report page as on a job's result; an
// unknown format is still a 400 naming the field.
BOOST_AUTO_TEST_CASE(format_is_case_insensitive) {
    Stack& s = e2e_stack();
    Response r = s.get("/reports/csv_quoting?format=CSV&section=q");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    BOOST_TEST(to_lower(r.header("content-type")).starts_with("text/csv"),
               r.header("content-type"));
    BOOST_TEST(r.body.starts_with("id,label,note\r\n"), r.body);

    Response j = s.get("/reports/trivial?format=Json");
    BOOST_TEST_REQUIRE(j.status == 200, j.summary() << ": " << j.body);
    BOOST_TEST(contains(j.header("content-type"), "application/json"), j.header("content-type"));

    Response bad = s.get("/reports/trivial?format=xml");
    BOOST_TEST(bad.status == 400, bad.summary());
    BOOST_TEST(contains(bad.body, "format"), bad.body);
}

BOOST_AUTO_TEST_CASE(million_rows_stream_with_flat_memory) {
    // Its own server: VmHWM is a peak over the worker's life, so nothing else may
    // have run on this worker before.
    ServerOptions o;
    o.workers = 1;
    Stack s(o);
    pid_t worker = s.server().wait_workers(1).at(0);
    BOOST_TEST_REQUIRE(s.get("/reports/trivial?format=json").status == 200);
    long hwm_before = Server::hwm_bytes(worker);

    LineCounter counter;
    Request req = s.request("/reports/csv_big?format=csv&section=rows", 180000);
    Response r = stream(req, std::ref(counter));
    long hwm_after = Server::hwm_bytes(worker);
    BOOST_TEST_MESSAGE("1M-row CSV: " << r.summary() << ", " << counter.bytes << " bytes, "
                                      << counter.total_lines() << " lines; worker VmHWM "
                                      << hwm_before / 1024 << " kB before, " << hwm_after / 1024
                                      << " kB after");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary());
    BOOST_TEST(counter.first.rfind("g,label\r\n1,row 1\r\n", 0) == 0, counter.first);
    BOOST_TEST(counter.total_lines() == 1000001);
    auto last = counter.last_lines(1);
    BOOST_TEST_REQUIRE(last.size() == 1u);
    BOOST_TEST(last[0] == "1000000,row 1000000");
    BOOST_TEST(s.server().worker_pids() == std::vector<pid_t>{worker});
    if (sanitized_build()) {
        BOOST_TEST_MESSAGE(
            "AddressSanitizer build: VmHWM < 64 MB not asserted (shadow memory "
            "and quarantine)");
    } else {
        BOOST_TEST(hwm_after < 64L * 1024 * 1024, "worker peak RSS " << hwm_after / 1024 << " kB");
    }
}

BOOST_AUTO_TEST_CASE(error_after_rows_ends_with_error_record) {
    Stack& s = e2e_stack();
    LineCounter counter;
    Request req = s.request("/reports/csv_error?format=csv&section=rows", 180000);
    Response r = stream(req, std::ref(counter));
    BOOST_TEST_MESSAGE("CSV with an error at row 500000: " << r.summary() << ", "
                                                           << counter.total_lines() << " lines");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary());
    auto last = counter.last_lines(2);
    BOOST_TEST_REQUIRE(last.size() == 2u);
    BOOST_TEST_MESSAGE("last lines: " << last[0] << " | " << last[1]);
    BOOST_TEST(last[1].rfind("#ERROR,", 0) == 0, "last line: " << last[1]);
    CsvParse err = parse_csv(last[1] + "\r\n");
    BOOST_TEST_REQUIRE(err.error.empty(), err.error);
    BOOST_TEST_REQUIRE(err.records.at(0).size() >= 3u);
    BOOST_TEST(err.records[0][1].value == "22012");
    BOOST_TEST(icontains(err.records[0][2].value, "division by zero"));
    BOOST_TEST(last[0] == "499999,-1", "the last row before the error: " << last[0]);
    // header + 499999 rows + the error record
    BOOST_TEST(counter.total_lines() == 1 + 499999 + 1);
}

BOOST_AUTO_TEST_SUITE_END()
