// jobs::codec: the stored forms of a job. Sections go through encode_results →
// (what jsonb_to_recordset stores) → decode_section, rows through encode_rows (a
// chunk) → decode_rows, and must come back the same: names, types, NULLs, empty
// strings, statuses and errors. No database: the split into rows that PostgreSQL
// does is done here with nlohmann.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "jobs/codec.hpp"

using namespace asyncpage;
using model::SectionStatus;

namespace asyncpage::model {
// For Boost.Test's messages; only this file prints statuses.
static std::ostream& operator<<(std::ostream& out, SectionStatus s) {
    return out << to_string(s);
}
static std::ostream& operator<<(std::ostream& out, PageStatus s) {
    return out << to_string(s);
}
}  // namespace asyncpage::model

namespace {
// What asyncpage.job_results holds after the INSERT ... jsonb_to_recordset($2).
std::vector<jobs::StoredSection> store(const std::string& encoded) {
    auto array = nlohmann::json::parse(encoded);
    BOOST_REQUIRE(array.is_array());
    std::vector<jobs::StoredSection> out;
    for (auto& row : array) {
        jobs::StoredSection s;
        s.name = row.at("name").get<std::string>();
        s.status = row.at("status").get<std::string>();
        s.elapsed_ms = row.at("elapsed_ms").get<double>();
        s.columns = row.at("columns").dump();
        if (!row.at("error_sqlstate").is_null())
            s.sqlstate = row.at("error_sqlstate").get<std::string>();
        if (!row.at("message").is_null()) s.message = row.at("message").get<std::string>();
        out.push_back(std::move(s));
    }
    return out;
}

template <class... S>
std::vector<model::SectionResult> sections(S&&... s) {
    std::vector<model::SectionResult> v;
    (v.push_back(std::forward<S>(s)), ...);
    return v;
}

// The sections as stored, each with its rows as one chunk (ResultWriter stores the
// rows of ok sections only).
std::vector<model::SectionResult> round_trip(const std::vector<model::SectionResult>& in) {
    std::vector<model::SectionResult> out;
    auto stored = store(jobs::encode_results(in));
    for (std::size_t i = 0; i < stored.size(); ++i) {
        if (in[i].status == SectionStatus::Ok) stored[i].rows = jobs::encode_rows(in[i].table);
        out.push_back(jobs::decode_section(stored[i]));
    }
    return out;
}

model::SectionResult ok_section() {
    model::SectionResult s;
    s.name = "orders";
    s.status = SectionStatus::Ok;
    s.elapsed_ms = 12.5;
    s.table = model::make_table({{"id", 23}, {"customer", 25}, {"amount", 1700}, {"created", 1184}},
                                {{"1", "Zoë \"quoted\"\nline", "10.50", "2024-01-02 03:04:05+00"},
                                 {"2", "", std::nullopt, std::nullopt},
                                 {std::nullopt, "tab\there", "-0.001", "infinity"}});
    return s;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(job_codec)

BOOST_AUTO_TEST_CASE(results_round_trip_values_types_and_nulls) {
    auto in = ok_section();  // the same values as the encoded one
    auto out = round_trip(sections(ok_section()));
    BOOST_REQUIRE_EQUAL(out.size(), 1u);
    const auto& s = out[0];
    BOOST_TEST(s.name == "orders");
    BOOST_TEST(s.status == SectionStatus::Ok);
    BOOST_TEST(s.elapsed_ms == 12.5);
    BOOST_TEST(s.sqlstate.empty());
    BOOST_TEST(s.message.empty());
    const auto& a = in.table;
    const auto& b = s.table;
    BOOST_REQUIRE_EQUAL(b.columns(), a.columns());
    BOOST_REQUIRE_EQUAL(b.rows(), a.rows());
    for (std::size_t c = 0; c < a.columns(); ++c) {
        BOOST_TEST(b.column_name(c) == a.column_name(c));
        BOOST_TEST(b.column_type(c) == a.column_type(c));
    }
    for (std::size_t r = 0; r < a.rows(); ++r) {
        for (std::size_t c = 0; c < a.columns(); ++c) {
            BOOST_TEST_CONTEXT("row " << r << " column " << c) {
                BOOST_TEST(b.is_null(r, c) == a.is_null(r, c));
                if (!a.is_null(r, c)) BOOST_TEST(b.value(r, c) == a.value(r, c));
            }
        }
    }
    // An empty string is not NULL.
    BOOST_TEST(!b.is_null(1, 1));
    BOOST_TEST(b.value(1, 1) == "");
    BOOST_TEST(b.is_null(1, 2));
}

BOOST_AUTO_TEST_CASE(failed_sections_keep_status_error_and_no_rows) {
    model::SectionResult err;
    err.name = "broken";
    err.status = SectionStatus::Error;
    err.elapsed_ms = 3.25;
    err.sqlstate = "42703";
    err.message = "column \"x\" does not exist";
    model::SectionResult slow;
    slow.name = "slow";
    slow.status = SectionStatus::Timeout;
    slow.message = "did not finish within job_timeout (1 s)";
    model::SectionResult gone;
    gone.name = "gone";
    gone.status = SectionStatus::Cancelled;
    // A cancelled section that had rows: they are not stored.
    gone.table = ok_section().table;

    auto out = round_trip(sections(std::move(err), std::move(slow), std::move(gone), ok_section()));
    BOOST_REQUIRE_EQUAL(out.size(), 4u);
    BOOST_TEST(out[0].status == SectionStatus::Error);
    BOOST_TEST(out[0].sqlstate == "42703");
    BOOST_TEST(out[0].message == "column \"x\" does not exist");
    BOOST_TEST(out[0].elapsed_ms == 3.25);
    BOOST_TEST(out[0].table.empty());
    BOOST_TEST(out[1].status == SectionStatus::Timeout);
    BOOST_TEST(out[1].sqlstate.empty());
    BOOST_TEST(out[1].message == "did not finish within job_timeout (1 s)");
    BOOST_TEST(out[2].status == SectionStatus::Cancelled);
    BOOST_TEST(out[2].table.empty());
    BOOST_TEST(out[3].status == SectionStatus::Ok);
    BOOST_TEST(out[3].table.rows() == 3u);
}

BOOST_AUTO_TEST_CASE(encoded_rows_match_the_job_results_columns) {
    model::SectionResult err;
    err.name = "e";
    err.status = SectionStatus::Error;
    err.sqlstate = "22012";
    err.message = "division by zero";
    auto j = nlohmann::json::parse(jobs::encode_results(sections(ok_section(), std::move(err))));
    BOOST_REQUIRE_EQUAL(j.size(), 2u);
    // The recordset's columns, with the types jsonb_to_recordset casts them to.
    BOOST_TEST(j[0]["position"] == 0);
    BOOST_TEST(j[1]["position"] == 1);
    BOOST_TEST(j[0]["status"] == "ok");
    BOOST_TEST(j[1]["status"] == "error");
    BOOST_TEST(j[0]["columns"][2]["name"] == "amount");
    BOOST_TEST(j[0]["columns"][2]["type"].is_number_integer());  // an OID, not its name
    BOOST_TEST(j[0]["columns"][2]["type"] == 1700);
    BOOST_TEST(j[0]["row_count"] == 3);
    BOOST_TEST(!j[0].contains("rows"), "rows are stored in chunks, not with the section");
    auto rows = nlohmann::json::parse(jobs::encode_rows(ok_section().table));
    BOOST_TEST(rows[0][0].is_string());  // PostgreSQL's text form, also for numbers
    BOOST_TEST(rows[1][2].is_null());
    BOOST_TEST(j[0]["error_sqlstate"].is_null());
    BOOST_TEST(j[0]["message"].is_null());
    BOOST_TEST(j[1]["error_sqlstate"] == "22012");
    BOOST_TEST(j[1]["columns"].empty());
    BOOST_TEST(j[1]["row_count"] == 0);
}

BOOST_AUTO_TEST_CASE(decodes_jsonb_text_form) {
    // What `columns::text, rows::text` give back: jsonb's own spacing.
    jobs::StoredSection s;
    s.name = "n";
    s.status = "ok";
    s.elapsed_ms = 1;
    s.columns = R"([{"name": "n", "type": 23}, {"name": "t", "type": 25}])";
    s.rows = R"([["1", null], ["2", ""]])";
    auto r = jobs::decode_section(s);
    BOOST_REQUIRE_EQUAL(r.table.columns(), 2u);
    BOOST_TEST(r.table.column_type(0) == 23u);
    BOOST_TEST(r.table.rows() == 2u);
    BOOST_TEST(r.table.is_null(0, 1));
    BOOST_TEST(!r.table.is_null(1, 1));
    BOOST_TEST(r.table.value(1, 0) == "2");
}

BOOST_AUTO_TEST_CASE(statement_without_rows_stays_empty) {
    model::SectionResult s;
    s.name = "ddl";
    s.status = SectionStatus::Ok;
    auto out = round_trip(sections(std::move(s)));
    BOOST_REQUIRE_EQUAL(out.size(), 1u);
    BOOST_TEST(out[0].status == SectionStatus::Ok);
    BOOST_TEST(out[0].table.empty());
}

BOOST_AUTO_TEST_CASE(elapsed_time_kept_to_the_microsecond) {
    model::SectionResult s;
    s.name = "t";
    s.status = SectionStatus::Ok;
    s.elapsed_ms = 1234.5678912;
    auto j = nlohmann::json::parse(jobs::encode_results(sections(std::move(s))));
    BOOST_TEST(j[0]["elapsed_ms"].get<double>() == 1234.568);
}

BOOST_AUTO_TEST_CASE(page_status_from_stored_sections) {
    auto with = [](std::vector<SectionStatus> statuses) {
        std::vector<model::SectionResult> v;
        double ms = 1;
        for (auto st : statuses) {
            v.emplace_back().status = st;
            v.back().elapsed_ms = ms;
            ms *= 10;
        }
        return jobs::assemble_page(std::move(v));
    };
    BOOST_TEST(with({SectionStatus::Ok, SectionStatus::Ok}).status == model::PageStatus::Ok);
    BOOST_TEST(with({SectionStatus::Ok, SectionStatus::Timeout}).status ==
               model::PageStatus::Partial);
    BOOST_TEST(with({SectionStatus::Error, SectionStatus::Cancelled}).status ==
               model::PageStatus::Error);
    auto p = with({SectionStatus::Ok, SectionStatus::Ok, SectionStatus::Ok});
    BOOST_TEST(p.elapsed_ms == 100.0);
    BOOST_TEST(p.sections.size() == 3u);
}

BOOST_AUTO_TEST_CASE(params_keep_declared_first_values) {
    reports::Report report;
    report.params.push_back({});
    report.params.back().name = "region";
    report.params.push_back({});
    report.params.back().name = "since";
    http::Fields given = {{"region", "north"}, {"other", "x"}, {"region", "south"}};
    auto text = jobs::encode_params(report, given);
    auto back = jobs::decode_params(text);
    BOOST_REQUIRE_EQUAL(back.size(), 1u);
    BOOST_TEST(back[0].first == "region");
    BOOST_TEST(back[0].second == "north");
    // Values that are not strings are not params.
    auto mixed = jobs::decode_params(R"({"a": "1", "b": 2, "c": null})");
    BOOST_REQUIRE_EQUAL(mixed.size(), 1u);
    BOOST_TEST(mixed[0].first == "a");
    BOOST_TEST(jobs::decode_params("not json").empty());
}

BOOST_AUTO_TEST_CASE(job_view_from_job_json) {
    auto v = jobs::decode_job_view(
        R"({"id":"0b5c3a8e-1f2d-4c3b-9a7e-6d5f4e3c2b1a","report":"slow","state":"failed",)"
        R"("progress":null,"message":"Loading","version":7,"created_at":"2026-01-01T00:00:00+00:00",)"
        R"("started_at":null,"finished_at":null,"error":{"sqlstate":"57014","message":"late"}})",
        R"({"n": "5"})");
    BOOST_TEST(v.id == "0b5c3a8e-1f2d-4c3b-9a7e-6d5f4e3c2b1a");
    BOOST_TEST(v.report == "slow");
    BOOST_TEST(v.state == "failed");
    BOOST_TEST(!v.progress.has_value());
    BOOST_TEST(v.message == "Loading");
    BOOST_TEST(v.version == 7);
    BOOST_TEST(v.started_at.empty());
    BOOST_TEST(v.error_sqlstate == "57014");
    BOOST_TEST(v.error_message == "late");
    BOOST_REQUIRE_EQUAL(v.params.size(), 1u);
    BOOST_TEST(v.params[0].second == "5");
}

BOOST_AUTO_TEST_SUITE_END()
