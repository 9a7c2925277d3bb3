// Request values against declared params: every type, modifiers, boundaries,
// defaults and NULLs, hostile input (NUL bytes, bad UTF-8, huge numbers).
#include <boost/test/unit_test.hpp>

#include "reports/params.hpp"

using namespace asyncpage::reports;
using asyncpage::http::Fields;

namespace {

ParamSpec spec(const std::string& name, ParamType type) {
    ParamSpec s;
    s.name = name;
    s.type = type;
    return s;
}

Report report_with(std::vector<ParamSpec> params) {
    Report r;
    r.name = "r";
    r.params = std::move(params);
    return r;
}

// The single param's bound value for `value`, or the error message.
std::variant<BoundValues, ParamError> one(const ParamSpec& s, const std::string& value) {
    return validate_params(report_with({s}), Fields{{s.name, value}});
}

std::string accepted(const ParamSpec& s, const std::string& value) {
    auto r = one(s, value);
    if (auto* e = std::get_if<ParamError>(&r)) {
        BOOST_FAIL("'" << value << "' rejected: " << e->message);
    }
    const auto& bound = std::get<BoundValues>(r);
    BOOST_TEST_REQUIRE(bound.size() == 1u);
    BOOST_TEST_REQUIRE(bound[0].has_value());
    return *bound[0];
}

std::string rejected(const ParamSpec& s, const std::string& value) {
    auto r = one(s, value);
    if (!std::holds_alternative<ParamError>(r)) {
        BOOST_FAIL("'" << value << "' accepted as "
                       << std::get<BoundValues>(r)[0].value_or("NULL"));
    }
    const auto& e = std::get<ParamError>(r);
    BOOST_TEST(e.param == s.name);
    BOOST_TEST(e.message.rfind(s.name + ": ", 0) == 0);  // message starts with the name
    return e.message;
}

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(params)

BOOST_AUTO_TEST_CASE(int_values) {
    ParamSpec s = spec("n", ParamType::Int);
    BOOST_TEST(accepted(s, "0") == "0");
    BOOST_TEST(accepted(s, "42") == "42");
    BOOST_TEST(accepted(s, "-17") == "-17");
    BOOST_TEST(accepted(s, "007") == "7");
    BOOST_TEST(accepted(s, "-0") == "0");
    BOOST_TEST(accepted(s, "2147483647") == "2147483647");
    BOOST_TEST(accepted(s, "-2147483648") == "-2147483648");
    for (const char* bad : {"2147483648", "-2147483649", "abc", "1.5", " 1", "1 ", "+1", "-", "1e3",
                            "0x10", "1_000", "١"}) {
        BOOST_TEST_INFO("value: " << bad);
        BOOST_TEST(contains(rejected(s, bad), "must be an integer"));
    }
}

BOOST_AUTO_TEST_CASE(int_message_matches_the_design) {
    ParamSpec s = spec("lim", ParamType::Int);
    s.min = "1";
    s.max = "10000";
    BOOST_TEST(rejected(s, "abc") == "lim: must be an integer between 1 and 10000, got \"abc\"");
    BOOST_TEST(rejected(s, "0") == "lim: must be an integer between 1 and 10000, got \"0\"");
    BOOST_TEST(rejected(s, "10001") ==
               "lim: must be an integer between 1 and 10000, got \"10001\"");
    BOOST_TEST(accepted(s, "1") == "1");
    BOOST_TEST(accepted(s, "10000") == "10000");
}

BOOST_AUTO_TEST_CASE(one_sided_ranges) {
    ParamSpec lo = spec("n", ParamType::Int);
    lo.min = "-3";
    BOOST_TEST(accepted(lo, "-3") == "-3");
    BOOST_TEST(rejected(lo, "-4") == "n: must be an integer >= -3, got \"-4\"");
    ParamSpec hi = spec("n", ParamType::Bigint);
    hi.max = "5";
    BOOST_TEST(accepted(hi, "-9223372036854775808") == "-9223372036854775808");
    BOOST_TEST(rejected(hi, "6") == "n: must be an integer <= 5, got \"6\"");
}

BOOST_AUTO_TEST_CASE(bigint_values) {
    ParamSpec s = spec("g", ParamType::Bigint);
    BOOST_TEST(accepted(s, "9223372036854775807") == "9223372036854775807");
    BOOST_TEST(accepted(s, "-9223372036854775808") == "-9223372036854775808");
    BOOST_TEST(accepted(s, "3000000000") == "3000000000");
    BOOST_TEST(contains(rejected(s, "9223372036854775808"), "must be an integer"));
    BOOST_TEST(contains(rejected(s, "-9223372036854775809"), "must be an integer"));
    BOOST_TEST(contains(rejected(s, std::string(400, '9')), "must be an integer"));
}

BOOST_AUTO_TEST_CASE(numeric_values) {
    ParamSpec s = spec("x", ParamType::Numeric);
    BOOST_TEST(accepted(s, "1") == "1");
    BOOST_TEST(accepted(s, "-1.50") == "-1.50");  // kept as given
    BOOST_TEST(accepted(s, "0.001") == "0.001");
    std::string huge = "1" + std::string(400, '0');
    BOOST_TEST(accepted(s, huge) == huge);
    for (const char* bad : {"", ".5", "1.", "1e5", "1,5", "--1", "1.2.3", "NaN", "inf", " 1"}) {
        if (std::string(bad).empty()) continue;  // empty = absent, tested below
        BOOST_TEST_INFO("value: " << bad);
        BOOST_TEST(contains(rejected(s, bad), "must be a number"));
    }
}

BOOST_AUTO_TEST_CASE(numeric_ranges_compare_exactly) {
    ParamSpec s = spec("x", ParamType::Numeric);
    s.min = "-1.5";
    s.max = "100";
    BOOST_TEST(accepted(s, "-1.5") == "-1.5");
    BOOST_TEST(accepted(s, "-1.50000") == "-1.50000");
    BOOST_TEST(accepted(s, "100.000") == "100.000");
    BOOST_TEST(accepted(s, "0099.99") == "0099.99");
    BOOST_TEST(accepted(s, "-0") == "-0");
    BOOST_TEST(accepted(s, "-1.4999999999999999999999") == "-1.4999999999999999999999");
    BOOST_TEST(contains(rejected(s, "-1.5000000000000000000001"), "between -1.5 and 100"));
    BOOST_TEST(contains(rejected(s, "100.0000000000000000001"), "between -1.5 and 100"));
    BOOST_TEST(contains(rejected(s, "-2"), "between"));
    BOOST_TEST(contains(rejected(s, "1" + std::string(400, '0')), "between"));
    BOOST_TEST(contains(rejected(s, "-1" + std::string(400, '0')), "between"));
    ParamSpec tiny = spec("x", ParamType::Numeric);
    tiny.min = "0.05";
    BOOST_TEST(accepted(tiny, "0.5") == "0.5");
    BOOST_TEST(accepted(tiny, "0.050") == "0.050");
    BOOST_TEST(contains(rejected(tiny, "0.049"), ">= 0.05"));
    BOOST_TEST(contains(rejected(tiny, "0"), ">= 0.05"));
}

BOOST_AUTO_TEST_CASE(bool_values) {
    ParamSpec s = spec("b", ParamType::Bool);
    for (const char* t : {"true", "TRUE", "t", "1", "yes", "Yes", "on", "ON"}) {
        BOOST_TEST_INFO("value: " << t);
        BOOST_TEST(accepted(s, t) == "true");
    }
    for (const char* f : {"false", "False", "f", "0", "no", "NO", "off", "Off"}) {
        BOOST_TEST_INFO("value: " << f);
        BOOST_TEST(accepted(s, f) == "false");
    }
    for (const char* bad : {"2", "y", "n", "truee", "tru", " true", "nope"}) {
        BOOST_TEST_INFO("value: " << bad);
        BOOST_TEST(contains(rejected(s, bad), "must be true or false"));
    }
}

BOOST_AUTO_TEST_CASE(date_values_with_calendar) {
    ParamSpec s = spec("d", ParamType::Date);
    BOOST_TEST(accepted(s, "2024-01-31") == "2024-01-31");
    BOOST_TEST(accepted(s, "2024-02-29") == "2024-02-29");  // leap year
    BOOST_TEST(accepted(s, "2000-02-29") == "2000-02-29");  // divisible by 400
    BOOST_TEST(accepted(s, "0001-01-01") == "0001-01-01");
    BOOST_TEST(accepted(s, "9999-12-31") == "9999-12-31");
    BOOST_TEST(accepted(s, "2023-04-30") == "2023-04-30");
    for (const char* bad :
         {"2023-02-29", "1900-02-29", "2100-02-29", "2024-02-30", "2024-04-31", "2024-13-01",
          "2024-00-10", "2024-01-00", "2024-01-32", "0000-01-01", "24-01-01", "2024-1-01",
          "2024/01/01", "2024-01-01T00:00", "20240101", "2024-01-0a", "-024-01-01"}) {
        BOOST_TEST_INFO("value: " << bad);
        BOOST_TEST(contains(rejected(s, bad), "must be a date (YYYY-MM-DD)"));
    }
}

BOOST_AUTO_TEST_CASE(date_ranges) {
    ParamSpec s = spec("since", ParamType::Date);
    s.min = "2020-01-01";
    s.max = "2024-12-31";
    BOOST_TEST(accepted(s, "2020-01-01") == "2020-01-01");
    BOOST_TEST(accepted(s, "2024-12-31") == "2024-12-31");
    BOOST_TEST(rejected(s, "2019-12-31") ==
               "since: must be a date (YYYY-MM-DD) between 2020-01-01 and 2024-12-31, got "
               "\"2019-12-31\"");
    BOOST_TEST(contains(rejected(s, "2025-01-01"), "between"));
}

BOOST_AUTO_TEST_CASE(timestamp_values_are_normalised) {
    ParamSpec s = spec("ts", ParamType::Timestamp);
    BOOST_TEST(accepted(s, "2024-01-02 03:04") == "2024-01-02 03:04:00");
    BOOST_TEST(accepted(s, "2024-01-02T03:04") == "2024-01-02 03:04:00");
    BOOST_TEST(accepted(s, "2024-01-02T03:04:05") == "2024-01-02 03:04:05");
    BOOST_TEST(accepted(s, "2024-01-02 23:59:59.123456") == "2024-01-02 23:59:59.123456");
    BOOST_TEST(accepted(s, "2024-01-02 00:00:00.500") == "2024-01-02 00:00:00.5");
    BOOST_TEST(accepted(s, "2024-01-02 00:00:00.000") == "2024-01-02 00:00:00");
    BOOST_TEST(accepted(s, "2024-02-29 12:00") == "2024-02-29 12:00:00");
    for (const char* bad :
         {"2024-01-02", "2024-01-02 24:00", "2024-01-02 12:60", "2024-01-02 12:00:60",
          "2024-01-02 1:00", "2024-01-02 12:00:0", "2024-01-02 12:00.5",
          "2024-01-02 12:00:00.1234567", "2024-01-02 12:00:00.", "2023-02-29 12:00",
          "2024-01-02X12:00", "2024-01-02 12:00Z", "2024-01-02 12:00:00+02", "2024-01-02  12:00"}) {
        BOOST_TEST_INFO("value: " << bad);
        BOOST_TEST(contains(rejected(s, bad), "must be a timestamp"));
    }
}

BOOST_AUTO_TEST_CASE(timestamp_ranges_compare_normalised_forms) {
    ParamSpec s = spec("ts", ParamType::Timestamp);
    s.min = "2024-01-01 00:00:00";
    s.max = "2024-01-01 10:00:00.5";
    BOOST_TEST(accepted(s, "2024-01-01T00:00") == "2024-01-01 00:00:00");
    BOOST_TEST(accepted(s, "2024-01-01 10:00:00.50") == "2024-01-01 10:00:00.5");
    BOOST_TEST(accepted(s, "2024-01-01 10:00:00.4999") == "2024-01-01 10:00:00.4999");
    BOOST_TEST(contains(rejected(s, "2024-01-01 10:00:00.51"), "between"));
    BOOST_TEST(contains(rejected(s, "2023-12-31 23:59:59.999999"), "between"));
}

BOOST_AUTO_TEST_CASE(enum_values) {
    ParamSpec s = spec("kind", ParamType::Enum);
    s.enum_values = {"retail", "wholesale", "on line"};
    BOOST_TEST(accepted(s, "retail") == "retail");
    BOOST_TEST(accepted(s, "on line") == "on line");
    BOOST_TEST(rejected(s, "Retail") ==
               "kind: must be one of retail, wholesale, on line, got \"Retail\"");
    BOOST_TEST(contains(rejected(s, "retail "), "one of"));
}

BOOST_AUTO_TEST_CASE(text_values_and_maxlen_in_code_points) {
    ParamSpec s = spec("q", ParamType::Text);
    BOOST_TEST(accepted(s, "") == "");  // empty text is a value, not absent
    BOOST_TEST(accepted(s, "  spaced  ") == "  spaced  ");
    BOOST_TEST(accepted(s, "'; DROP TABLE x; --") == "'; DROP TABLE x; --");
    s.maxlen = 3;
    BOOST_TEST(accepted(s, "abc") == "abc");
    BOOST_TEST(accepted(s, "äöü") == "äöü");        // 6 bytes, 3 code points
    BOOST_TEST(accepted(s, "日本語") == "日本語");  // 9 bytes
    BOOST_TEST(accepted(s, "a😀b") == "a😀b");        // 4-byte sequence
    BOOST_TEST(rejected(s, "abcd") == "q: must be at most 3 characters long, got 4");
    BOOST_TEST(rejected(s, "äöüß") == "q: must be at most 3 characters long, got 4");
}

BOOST_AUTO_TEST_CASE(nul_bytes_are_rejected_for_every_type) {
    const std::string nul(
        "1\0"
        "2",
        3);
    for (ParamType t : {ParamType::Text, ParamType::Int, ParamType::Bigint, ParamType::Numeric,
                        ParamType::Bool, ParamType::Date, ParamType::Timestamp, ParamType::Enum}) {
        ParamSpec s = spec("p", t);
        s.enum_values = {nul};
        BOOST_TEST(rejected(s, nul) == "p: must not contain NUL bytes");
    }
    BOOST_TEST(rejected(spec("p", ParamType::Text), std::string(1, '\0')) ==
               "p: must not contain NUL bytes");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_rejected) {
    ParamSpec s = spec("p", ParamType::Text);
    for (const char* bad : {"\xff", "a\xc3", "\xc3\x28", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                            "\xf4\x90\x80\x80", "\x80", "\xf8\x88\x80\x80\x80"}) {
        BOOST_TEST(rejected(s, bad) == "p: must be valid UTF-8");
    }
    BOOST_TEST(rejected(spec("p", ParamType::Int), "1\xff") == "p: must be valid UTF-8");
}

BOOST_AUTO_TEST_CASE(echoed_values_are_truncated_and_sanitised) {
    ParamSpec s = spec("n", ParamType::Int);
    std::string msg = rejected(s, std::string(500, 'x'));
    BOOST_TEST(msg == "n: must be an integer, got \"" + std::string(60, 'x') + "...\"");
    msg = rejected(s, std::string(100, 'e') + "\xc3\xa9");  // truncation keeps UTF-8 whole
    BOOST_TEST(msg == "n: must be an integer, got \"" + std::string(60, 'e') + "...\"");
    msg = rejected(s, std::string(59, 'e') + "\xc3\xa9\xc3\xa9");
    BOOST_TEST(msg == "n: must be an integer, got \"" + std::string(59, 'e') + "\xc3\xa9...\"");
    BOOST_TEST(rejected(s, "a\nb\x1b") == "n: must be an integer, got \"a?b?\"");
}

BOOST_AUTO_TEST_CASE(absent_values_defaults_and_nulls) {
    ParamSpec req = spec("region", ParamType::Text);
    req.required = true;
    ParamSpec with_default = spec("lim", ParamType::Int);
    with_default.default_value = "100";
    ParamSpec optional = spec("since", ParamType::Date);
    Report r = report_with({req, with_default, optional});

    auto missing = validate_params(r, Fields{});
    BOOST_TEST_REQUIRE(std::holds_alternative<ParamError>(missing));
    BOOST_TEST(std::get<ParamError>(missing).param == "region");
    BOOST_TEST(std::get<ParamError>(missing).message == "region: is required");

    auto ok = validate_params(r, Fields{{"region", "north"}});
    BOOST_TEST_REQUIRE(std::holds_alternative<BoundValues>(ok));
    const auto& bound = std::get<BoundValues>(ok);
    BOOST_TEST_REQUIRE(bound.size() == 3u);
    BOOST_TEST(bound[0].value() == "north");
    BOOST_TEST(bound[1].value() == "100");
    BOOST_TEST(!bound[2].has_value());  // NULL

    // Empty strings from a form: absent for non-text (default / NULL), a value for text.
    auto empty = validate_params(r, Fields{{"region", ""}, {"lim", ""}, {"since", ""}});
    BOOST_TEST_REQUIRE(std::holds_alternative<BoundValues>(empty));
    BOOST_TEST(std::get<BoundValues>(empty)[0].value() == "");
    BOOST_TEST(std::get<BoundValues>(empty)[1].value() == "100");
    BOOST_TEST(!std::get<BoundValues>(empty)[2].has_value());

    ParamSpec req_int = spec("n", ParamType::Int);
    req_int.required = true;
    auto empty_required = validate_params(report_with({req_int}), Fields{{"n", ""}});
    BOOST_TEST_REQUIRE(std::holds_alternative<ParamError>(empty_required));
    BOOST_TEST(std::get<ParamError>(empty_required).message == "n: is required");
}

BOOST_AUTO_TEST_CASE(order_first_value_and_unknown_fields) {
    Report r = report_with({spec("b", ParamType::Int), spec("a", ParamType::Text)});
    auto res = validate_params(r, Fields{{"format", "json"},
                                         {"a", "first"},
                                         {"b", "2"},
                                         {"a", "second"},
                                         {"b", "not-a-number"},
                                         {"section", "x"}});
    BOOST_TEST_REQUIRE(std::holds_alternative<BoundValues>(res));
    const auto& bound = std::get<BoundValues>(res);
    BOOST_TEST_REQUIRE(bound.size() == 2u);
    BOOST_TEST(bound[0].value() == "2");  // in declaration order, not field order
    BOOST_TEST(bound[1].value() == "first");
}

BOOST_AUTO_TEST_CASE(first_bad_param_in_declaration_order_is_reported) {
    Report r = report_with({spec("x", ParamType::Int), spec("y", ParamType::Int)});
    auto res = validate_params(r, Fields{{"y", "bad"}, {"x", "bad"}});
    BOOST_TEST_REQUIRE(std::holds_alternative<ParamError>(res));
    BOOST_TEST(std::get<ParamError>(res).param == "x");
}

BOOST_AUTO_TEST_CASE(no_params_at_all) {
    auto res = validate_params(report_with({}), Fields{{"x", "1"}});
    BOOST_TEST_REQUIRE(std::holds_alternative<BoundValues>(res));
    BOOST_TEST(std::get<BoundValues>(res).empty());
}

BOOST_AUTO_TEST_CASE(hostile_input_never_throws) {
    std::vector<ParamSpec> all;
    for (ParamType t : {ParamType::Text, ParamType::Int, ParamType::Bigint, ParamType::Numeric,
                        ParamType::Bool, ParamType::Date, ParamType::Timestamp, ParamType::Enum}) {
        ParamSpec s = spec("p", t);
        s.enum_values = {"a"};
        s.min = t == ParamType::Date ? std::optional<std::string>("2020-01-01") : std::nullopt;
        all.push_back(s);
    }
    std::string junk;
    for (int i = 0; i < 5000; ++i)
        junk += static_cast<char>((i * 97 + 3) % 256);
    for (const ParamSpec& s : all) {
        for (const std::string& v : {junk, std::string(100000, '9'), std::string("-"),
                                     std::string("9999-99-99"), std::string("2024-01-01 ")}) {
            BOOST_CHECK_NO_THROW(validate_params(report_with({s}), Fields{{"p", v}}));
        }
    }
}

BOOST_AUTO_TEST_CASE(mentions_any_param_matches_names_exactly) {
    Report r = report_with({spec("region", ParamType::Text), spec("lim", ParamType::Int)});
    BOOST_TEST(!mentions_any_param(r, Fields{}));
    BOOST_TEST(!mentions_any_param(r, Fields{{"format", "html"}, {"Region", "x"}}));
    BOOST_TEST(mentions_any_param(r, Fields{{"format", "html"}, {"lim", ""}}));
    BOOST_TEST(mentions_any_param(r, Fields{{"region", "n"}}));
    BOOST_TEST(!mentions_any_param(report_with({}), Fields{{"region", "n"}}));
}

BOOST_AUTO_TEST_CASE(check_value_reports_problem_without_name) {
    ParamSpec s = spec("lim", ParamType::Int);
    ValueCheck c = check_value(s, "x");
    BOOST_TEST(!c.value);
    BOOST_TEST(c.problem == "must be an integer, got \"x\"");
    c = check_value(s, "05");
    BOOST_TEST(c.value.value() == "5");
    BOOST_TEST(c.problem.empty());
}

BOOST_AUTO_TEST_SUITE_END()
