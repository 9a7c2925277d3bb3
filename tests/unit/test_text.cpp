// The shared character classes and the one boolean parser: each caller's level
// accepts exactly the spellings it accepted before they were one function.
#include <boost/test/unit_test.hpp>

#include "core/text.hpp"

using namespace asyncpage::text;

namespace {
// "true", "false" or "none", so that a failure prints what was parsed.
std::string parsed(std::string_view s, BoolSpelling level) {
    auto b = parse_bool(s, level);
    return b ? (*b ? "true" : "false") : "none";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(text_helpers)

BOOST_AUTO_TEST_CASE(character_classes_are_ascii_only) {
    for (int i = 0; i < 256; ++i) {
        char c = static_cast<char>(i);
        BOOST_TEST(is_digit(c) == (i >= '0' && i <= '9'), "byte " << i);
        BOOST_TEST(is_alpha(c) == ((i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z')), "byte " << i);
        BOOST_TEST(is_name_char(c) == (is_alnum(c) || c == '_'), "byte " << i);
    }
    BOOST_TEST(is_space('\r'));
    BOOST_TEST(!is_space('\f'));  // trim() keeps a form feed: only the SQL lexer skips it
    BOOST_TEST(is_sql_space('\f'));
    BOOST_TEST(!is_sql_space('\v'));
}

BOOST_AUTO_TEST_CASE(identifiers_and_digit_strings) {
    BOOST_TEST(is_identifier("_a1"));
    BOOST_TEST(is_identifier("Region"));
    BOOST_TEST(!is_identifier("1a"));
    BOOST_TEST(!is_identifier(""));
    BOOST_TEST(!is_identifier("a-b"));
    BOOST_TEST(!is_identifier("caf\xC3\xA9"));
    BOOST_TEST(all_digits("007"));
    BOOST_TEST(!all_digits(""));
    BOOST_TEST(!all_digits("-1"));
    BOOST_TEST(!all_digits("1.5"));
}

BOOST_AUTO_TEST_CASE(bool_spellings_by_level) {
    using B = BoolSpelling;
    for (B level : {B::Words, B::WordsOrDigits, B::Postgres}) {
        BOOST_TEST(parsed("true", level) == "true");
        BOOST_TEST(parsed("FALSE", level) == "false");
        BOOST_TEST(parsed("True", level) == "true");
        BOOST_TEST(parsed("", level) == "none");
        BOOST_TEST(parsed(" true", level) == "none");  // never trimmed
        BOOST_TEST(parsed("tru", level) == "none");    // no prefixes
        BOOST_TEST(parsed("2", level) == "none");
    }
    BOOST_TEST(parsed("1", B::Words) == "none");
    BOOST_TEST(parsed("yes", B::Words) == "none");

    BOOST_TEST(parsed("1", B::WordsOrDigits) == "true");
    BOOST_TEST(parsed("0", B::WordsOrDigits) == "false");
    for (const char* s : {"t", "f", "yes", "no", "on", "off"})
        BOOST_TEST(parsed(s, B::WordsOrDigits) == "none", s);

    for (const char* s : {"t", "T", "1", "yes", "YES", "on", "On"})
        BOOST_TEST(parsed(s, B::Postgres) == "true", s);
    for (const char* s : {"f", "F", "0", "no", "NO", "off", "Off"})
        BOOST_TEST(parsed(s, B::Postgres) == "false", s);
    for (const char* s : {"y", "n", "of", "o", "01", "yes "})
        BOOST_TEST(parsed(s, B::Postgres) == "none", s);
}

BOOST_AUTO_TEST_SUITE_END()
