// :name → $n rewriting: what counts as a placeholder and what PostgreSQL's lexer
// would read as a literal, identifier, comment, cast or array slice.
#include <boost/test/unit_test.hpp>

#include "reports/parser.hpp"

using asyncpage::reports::rewrite_placeholders;
using Names = std::vector<std::string>;

namespace {
// The SQL must come back unchanged with no placeholders found.
void expect_untouched(const std::string& sql) {
    auto rw = rewrite_placeholders(sql);
    BOOST_TEST_INFO("sql: " << sql);
    BOOST_TEST(rw.sql == sql);
    BOOST_TEST(rw.names.empty());
}
}  // namespace

BOOST_AUTO_TEST_SUITE(placeholders)

BOOST_AUTO_TEST_CASE(numbers_names_in_first_appearance_order) {
    auto rw = rewrite_placeholders("SELECT :b, :a, :c");
    BOOST_TEST(rw.sql == "SELECT $1, $2, $3");
    BOOST_TEST(rw.names == (Names{"b", "a", "c"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(repeated_name_keeps_its_number) {
    auto rw = rewrite_placeholders("WHERE a >= :lo AND b <= :hi AND c BETWEEN :lo AND :hi OR :lo");
    BOOST_TEST(rw.sql == "WHERE a >= $1 AND b <= $2 AND c BETWEEN $1 AND $2 OR $1");
    BOOST_TEST(rw.names == (Names{"lo", "hi"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(placeholder_at_edges_and_with_digits) {
    auto rw = rewrite_placeholders(":a1_x");
    BOOST_TEST(rw.sql == "$1");
    BOOST_TEST(rw.names == (Names{"a1_x"}), boost::test_tools::per_element());
    rw = rewrite_placeholders("f(:x,:y)");
    BOOST_TEST(rw.sql == "f($1,$2)");
    rw = rewrite_placeholders("x=:_under");
    BOOST_TEST(rw.sql == "x=$1");
    BOOST_TEST(rw.names == (Names{"_under"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(more_than_nine_placeholders) {
    std::string sql, want;
    for (int i = 1; i <= 12; ++i) {
        sql += " :p" + std::to_string(i);
        want += " $" + std::to_string(i);
    }
    auto rw = rewrite_placeholders(sql);
    BOOST_TEST(rw.sql == want);
    BOOST_TEST(rw.names.size() == 12u);
    BOOST_TEST(rw.names[11] == "p12");
}

BOOST_AUTO_TEST_CASE(casts_are_not_placeholders) {
    expect_untouched("SELECT x::int, '1'::text, (a)::bigint[]");
    expect_untouched("SELECT x :: int");
    auto rw = rewrite_placeholders("WHERE created >= :since::date AND n = :n::int");
    BOOST_TEST(rw.sql == "WHERE created >= $1::date AND n = $2::int");
    BOOST_TEST(rw.names == (Names{"since", "n"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(single_quoted_strings) {
    expect_untouched("SELECT ':x', 'a '':y'' b', 'tail:z'");
    auto rw = rewrite_placeholders("SELECT 'it''s :no', :yes");
    BOOST_TEST(rw.sql == "SELECT 'it''s :no', $1");
    BOOST_TEST(rw.names == (Names{"yes"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(backslash_is_not_an_escape_in_plain_strings) {
    // standard_conforming_strings: 'a\' is a complete literal, so :x is outside.
    auto rw = rewrite_placeholders("SELECT 'a\\', :x");
    BOOST_TEST(rw.sql == "SELECT 'a\\', $1");
}

BOOST_AUTO_TEST_CASE(e_strings_take_backslash_escapes) {
    expect_untouched("SELECT E'it\\'s :no', e'\\\\'");
    auto rw = rewrite_placeholders("SELECT E'a\\' :no', :yes, E'\\\\', :also");
    BOOST_TEST(rw.sql == "SELECT E'a\\' :no', $1, E'\\\\', $2");
    BOOST_TEST(rw.names == (Names{"yes", "also"}), boost::test_tools::per_element());
    // "the'..." is an identifier followed by a plain string, not an E-string.
    rw = rewrite_placeholders("SELECT thE'a\\', :x");
    BOOST_TEST(rw.sql == "SELECT thE'a\\', $1");
}

BOOST_AUTO_TEST_CASE(placeholder_named_e_is_not_an_e_string_prefix) {
    // Found by fuzz_placeholders: in :e'\' the e belongs to the placeholder, so the
    // literal is a plain one ($1'\' once rewritten) and the :c after it is a placeholder.
    auto rw = rewrite_placeholders(":e'\\':c");
    BOOST_TEST(rw.sql == "$1'\\'$2");
    BOOST_TEST(rw.names == (Names{"e", "c"}), boost::test_tools::per_element());
    // After a slice bound or a cast, e'...' is still an E-string.
    expect_untouched("SELECT a[1:e'\\':x'], x::e'\\':y'");
}

BOOST_AUTO_TEST_CASE(quoted_identifiers) {
    expect_untouched("SELECT \"col:x\", \"a\"\":y\" FROM t");
    auto rw = rewrite_placeholders("SELECT \"a:b\" FROM t WHERE \"x\" = :v");
    BOOST_TEST(rw.sql == "SELECT \"a:b\" FROM t WHERE \"x\" = $1");
}

BOOST_AUTO_TEST_CASE(line_comments) {
    expect_untouched("SELECT 1 -- :x here\n");
    auto rw = rewrite_placeholders("SELECT :a -- :b\n, :c");
    BOOST_TEST(rw.sql == "SELECT $1 -- :b\n, $2");
    BOOST_TEST(rw.names == (Names{"a", "c"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(nested_block_comments) {
    expect_untouched("SELECT /* :a /* :b */ :c */ 1");
    auto rw = rewrite_placeholders("SELECT /* outer /* inner */ still :no */ :yes");
    BOOST_TEST(rw.sql == "SELECT /* outer /* inner */ still :no */ $1");
    BOOST_TEST(rw.names == (Names{"yes"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(dollar_quotes) {
    expect_untouched("DO $$ BEGIN x := :y; END $$");
    expect_untouched("SELECT $fn$ :a $$ :b $$ still :c $fn$");
    auto rw = rewrite_placeholders("SELECT $q$ it's :no $q$, :yes, $$:no$$");
    BOOST_TEST(rw.sql == "SELECT $q$ it's :no $q$, $1, $$:no$$");
    BOOST_TEST(rw.names == (Names{"yes"}), boost::test_tools::per_element());
    // A different tag does not close the quote.
    rw = rewrite_placeholders("SELECT $a$ $b$ :no $a$ :yes");
    BOOST_TEST(rw.sql == "SELECT $a$ $b$ :no $a$ $1");
}

BOOST_AUTO_TEST_CASE(dollar_inside_identifiers_is_not_a_quote) {
    auto rw = rewrite_placeholders("SELECT a$b, :x, c$$ FROM t WHERE y = :x");
    BOOST_TEST(rw.sql == "SELECT a$b, $1, c$$ FROM t WHERE y = $1");
}

BOOST_AUTO_TEST_CASE(array_slices) {
    expect_untouched("SELECT a[1:2], a[lo:hi], f(x)[1:n], a[1][2:3], (b)[x:y]");
    auto rw = rewrite_placeholders("SELECT a[:lo:2], arr[1:3], :v");
    // After '[' a name is a placeholder; after a digit or a name it is a bound.
    BOOST_TEST(rw.sql == "SELECT a[$1:2], arr[1:3], $2");
}

BOOST_AUTO_TEST_CASE(colon_forms_that_are_not_placeholders) {
    expect_untouched("x := 1");
    expect_untouched("SELECT : a, :1, :");
    expect_untouched("SELECT 'x'");
    expect_untouched("");
}

BOOST_AUTO_TEST_CASE(existing_positional_params_are_left_alone) {
    expect_untouched("SELECT $1, $2");
}

BOOST_AUTO_TEST_CASE(unterminated_constructs_never_throw) {
    for (const char* sql :
         {"SELECT 'abc :x", "SELECT E'abc\\", "SELECT \"abc :x", "SELECT /* :x", "SELECT $$ :x",
          "SELECT $tag$ :x $ta", ":", "$", "'", "E'", "/*", "--", "$a", "::", ":a:"}) {
        BOOST_TEST_INFO("sql: " << sql);
        BOOST_CHECK_NO_THROW(rewrite_placeholders(sql));
    }
    auto rw = rewrite_placeholders("SELECT 'abc :x");
    BOOST_TEST(rw.names.empty());
}

BOOST_AUTO_TEST_CASE(binary_garbage_never_throws) {
    std::string junk;
    for (int i = 0; i < 2000; ++i)
        junk += static_cast<char>((i * 37 + 11) % 256);
    BOOST_CHECK_NO_THROW(rewrite_placeholders(junk));
    std::string colons(1000, ':');
    BOOST_TEST(rewrite_placeholders(colons).sql == colons);
}

BOOST_AUTO_TEST_SUITE_END()
