// render/value_format: how cells read in HTML. Numbers grouped by thousands with
// numeric's scale kept, timestamps to the second with the exact value kept, and
// every `-- format:` kind; values that do not parse are shown as they are.
#include <boost/test/unit_test.hpp>

#include "model/pg_types.hpp"
#include "render/value_format.hpp"

using namespace asyncpage;
using namespace asyncpage::render;
using reports::ColumnFormat;
using reports::FormatKind;
namespace t = model::pg_type;

namespace {

FormattedValue fmt(std::string_view v, Oid type, std::optional<ColumnFormat> f = std::nullopt) {
    FormattedValue out;
    format_value(v, type, f ? &*f : nullptr, out);
    return out;
}

ColumnFormat kind(FormatKind k, int decimals = -1) {
    ColumnFormat f;
    f.column = "c";
    f.kind = k;
    f.decimals = decimals;
    return f;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(value_format)

BOOST_AUTO_TEST_CASE(grouping_keeps_every_digit) {
    BOOST_TEST(group_thousands("81198121.78") == "81,198,121.78");
    BOOST_TEST(group_thousands("-1234567") == "-1,234,567");
    BOOST_TEST(group_thousands("999") == "999");
    BOOST_TEST(group_thousands("1000") == "1,000");
    BOOST_TEST(group_thousands("0.000001") == "0.000001");
    BOOST_TEST(group_thousands("123456789012345678901234567890.123456789") ==
               "123,456,789,012,345,678,901,234,567,890.123456789");
    for (const char* same : {"NaN", "Infinity", "-Infinity", "1.5e+20", "", "abc", "1,000", "-"})
        BOOST_TEST(group_thousands(same) == same);
}

BOOST_AUTO_TEST_CASE(rounding_is_exact_and_half_away_from_zero) {
    BOOST_TEST(*round_decimal("2.345", 2) == "2.35");
    BOOST_TEST(*round_decimal("-2.345", 2) == "-2.35");
    BOOST_TEST(*round_decimal("2.344", 2) == "2.34");
    BOOST_TEST(*round_decimal("7", 2) == "7.00");
    BOOST_TEST(*round_decimal("9.995", 2) == "10.00");
    BOOST_TEST(*round_decimal("999.5", 0) == "1000");
    BOOST_TEST(*round_decimal("-0.001", 2) == "0.00");  // never "-0.00"
    BOOST_TEST(*round_decimal("0.5", 0) == "1");
    BOOST_TEST(*round_decimal("12345678901234567890.125", 2) == "12345678901234567890.13");
    BOOST_TEST(!round_decimal("1e5", 2));
    BOOST_TEST(!round_decimal("NaN", 2));
}

BOOST_AUTO_TEST_CASE(numbers_by_type_are_grouped_and_keep_their_scale) {
    auto n = fmt("81198121.78", t::kNumeric);
    BOOST_TEST(n.text == "81,198,121.78");
    BOOST_TEST(n.sort == "");  // the text sorts: table_sort.js drops the commas
    BOOST_TEST(n.title == "");
    BOOST_TEST(fmt("12.50", t::kNumeric).text == "12.50");  // scale kept: not 12.5
    BOOST_TEST(fmt("1000000", t::kInt8).text == "1,000,000");
    BOOST_TEST(fmt("-42", t::kInt4).text == "-42");
    BOOST_TEST(fmt("1.5e+20", t::kFloat8).text == "150,000,000,000,000,000,000");
    BOOST_TEST(fmt("NaN", t::kNumeric).text == "NaN");
    BOOST_TEST(fmt("NaN", t::kNumeric).sort == "");
    // Text is never touched, even when it looks like a number.
    auto s = fmt("1234567", t::kText);
    BOOST_TEST(s.text == "1234567");
    BOOST_TEST(s.sort == "");
}

BOOST_AUTO_TEST_CASE(timestamps_to_the_second_with_the_exact_value_in_the_title) {
    auto ts = fmt("2026-11-28 20:02:02.382417+00", t::kTimestamptz);
    BOOST_TEST(ts.text == "2026-11-28 20:02:02");
    BOOST_TEST(ts.title == "2026-11-28 20:02:02.382417+00");
    BOOST_TEST(ts.sort == "");  // the title sorts
    // Truncated, not rounded, as date_trunc('second') would.
    BOOST_TEST(fmt("2026-11-28 20:02:02.999", t::kTimestamp).text == "2026-11-28 20:02:02");
    auto whole = fmt("2026-11-28 20:02:02", t::kTimestamp);
    BOOST_TEST(whole.text == "2026-11-28 20:02:02");
    BOOST_TEST(whole.title == "");
    auto other_zone = fmt("2026-11-28 21:02:02+01", t::kTimestamptz);
    BOOST_TEST(other_zone.text == "2026-11-28 21:02:02");
    BOOST_TEST(other_zone.title == "2026-11-28 21:02:02+01");
    auto d = fmt("2026-11-28", t::kDate);
    BOOST_TEST(d.text == "2026-11-28");
    BOOST_TEST(d.title == "");
    // What does not parse is shown as is.
    BOOST_TEST(fmt("infinity", t::kTimestamptz).text == "infinity");
    BOOST_TEST(fmt("infinity", t::kTimestamptz).sort == "");
    BOOST_TEST(fmt("2026-11-28 20:02:02 BC", t::kTimestamp).text == "2026-11-28 20:02:02 BC");
}

BOOST_AUTO_TEST_CASE(format_kinds) {
    BOOST_TEST(fmt("1234.5", t::kNumeric, kind(FormatKind::Money)).text == "1,234.50");
    BOOST_TEST(fmt("-0.004", t::kNumeric, kind(FormatKind::Money)).text == "0.00");
    BOOST_TEST(fmt("1234.5678", t::kNumeric, kind(FormatKind::Number, 2)).text == "1,234.57");
    BOOST_TEST(fmt("1234.5678", t::kNumeric, kind(FormatKind::Number, 0)).text == "1,235");
    BOOST_TEST(fmt("1234.5678", t::kNumeric, kind(FormatKind::Number)).text == "1,234.5678");
    BOOST_TEST(fmt("0.1", t::kFloat8, kind(FormatKind::Number, 3)).text == "0.100");
    BOOST_TEST(fmt("0.125", t::kNumeric, kind(FormatKind::Percent)).text == "12.5%");
    BOOST_TEST(fmt("0.5", t::kNumeric, kind(FormatKind::Percent)).text == "50%");
    BOOST_TEST(fmt("-0.0349", t::kFloat8, kind(FormatKind::Percent)).text == "-3.5%");
    BOOST_TEST(fmt("12", t::kInt4, kind(FormatKind::Percent)).text == "1,200%");
    BOOST_TEST(fmt("0.125", t::kNumeric, kind(FormatKind::Percent)).title == "0.125");
    BOOST_TEST(fmt("512", t::kInt8, kind(FormatKind::Bytes)).text == "512 B");
    auto b = fmt("1572864", t::kInt8, kind(FormatKind::Bytes));
    BOOST_TEST(b.text == "1.5 MiB");
    BOOST_TEST(b.title == "1,572,864 bytes");
    BOOST_TEST(b.sort == "1572864");
    BOOST_TEST(fmt("1536", t::kInt8, kind(FormatKind::Bytes)).text == "1.5 KiB");
    auto date = fmt("2026-11-28 20:02:02.5+00", t::kTimestamptz, kind(FormatKind::Date));
    BOOST_TEST(date.text == "2026-11-28");
    BOOST_TEST(date.title == "2026-11-28 20:02:02.5+00");
    BOOST_TEST(fmt("2026-11-28 20:02:02.5+00", t::kTimestamptz, kind(FormatKind::Datetime)).text ==
               "2026-11-28 20:02:02");
    // A text column with a number format is formatted when its value is a number.
    BOOST_TEST(fmt("1234", t::kText, kind(FormatKind::Number)).text == "1,234");
    BOOST_TEST(fmt("n/a", t::kText, kind(FormatKind::Money)).text == "n/a");
    // raw: PostgreSQL's text, untouched.
    auto raw = fmt("2026-11-28 20:02:02.382417+00", t::kTimestamptz, kind(FormatKind::Raw));
    BOOST_TEST(raw.text == "2026-11-28 20:02:02.382417+00");
    BOOST_TEST(fmt("81198121.78", t::kNumeric, kind(FormatKind::Raw)).text == "81198121.78");
}

BOOST_AUTO_TEST_CASE(value_classes_by_type_and_format) {
    BOOST_TEST((value_class(t::kNumeric, nullptr) == ValueClass::Number));
    BOOST_TEST((value_class(t::kInt4, nullptr) == ValueClass::Number));
    BOOST_TEST((value_class(t::kTimestamptz, nullptr) == ValueClass::Time));
    BOOST_TEST((value_class(t::kDate, nullptr) == ValueClass::Time));
    BOOST_TEST((value_class(t::kText, nullptr) == ValueClass::Text));
    ColumnFormat money = kind(FormatKind::Money);
    BOOST_TEST((value_class(t::kText, &money) == ValueClass::Number));
    ColumnFormat raw = kind(FormatKind::Raw);
    BOOST_TEST((value_class(t::kNumeric, &raw) == ValueClass::Number));
}

BOOST_AUTO_TEST_CASE(parsing_numbers_and_times) {
    BOOST_TEST(*parse_number("-12.5") == -12.5);
    BOOST_TEST(*parse_number("1e3") == 1000);
    BOOST_TEST(!parse_number("NaN"));
    BOOST_TEST(!parse_number("Infinity"));
    BOOST_TEST(!parse_number("12a"));
    BOOST_TEST(!parse_number(""));
    BOOST_TEST(*parse_time("1970-01-02") == 86400);
    BOOST_TEST(*parse_time("1970-01-01 00:00:01.5") == 1.5);
    BOOST_TEST(!parse_time("yesterday"));
    BOOST_TEST(format_bytes(0) == "0 B");
    BOOST_TEST(format_bytes(1024.0 * 1024 * 1024 * 3) == "3.0 GiB");
}

BOOST_AUTO_TEST_SUITE_END()
