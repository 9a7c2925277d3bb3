// The `-- param:` grammar: a name, a type (enum with its values), and modifiers
// each given at most once. Bounds and defaults are checked with the same
// check_value that checks request values, so a report cannot declare a default
// its own form would refuse.
#include "reports/param_grammar.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <set>
#include <tuple>
#include <utility>

#include "core/text.hpp"
#include "reports/params.hpp"

namespace asyncpage::reports {
namespace {
using text::is_alpha;
using text::is_identifier;
using text::is_name_char;
using text::is_sql_space;
using text::lower;
using text::trim;

// A bare word, or a 'quoted' / "quoted" value (no escapes inside) for values with
// spaces. Advances `pos`; sets `error` when a quote is not closed.
std::optional<std::string> read_token(std::string_view s, std::size_t& pos, std::string& error) {
    while (pos < s.size() && is_sql_space(s[pos]))
        ++pos;
    if (pos >= s.size()) return std::nullopt;
    if (s[pos] == '\'' || s[pos] == '"') {
        char quote = s[pos];
        std::size_t close = s.find(quote, pos + 1);
        if (close == std::string_view::npos) {
            error = std::string("unterminated ") + quote + " quote";
            return std::nullopt;
        }
        std::string value(s.substr(pos + 1, close - pos - 1));
        pos = close + 1;
        if (pos < s.size() && !is_sql_space(s[pos])) {
            error = "expected a space after the closing quote";
            return std::nullopt;
        }
        return value;
    }
    std::size_t start = pos;
    while (pos < s.size() && !is_sql_space(s[pos]))
        ++pos;
    return std::string(s.substr(start, pos - start));
}

// The type keywords of the grammar; also how messages name a type.
constexpr std::pair<std::string_view, ParamType> kTypes[] = {
    {"text", ParamType::Text},           {"int", ParamType::Int},   {"bigint", ParamType::Bigint},
    {"numeric", ParamType::Numeric},     {"bool", ParamType::Bool}, {"date", ParamType::Date},
    {"timestamp", ParamType::Timestamp}, {"enum", ParamType::Enum},
};

std::string type_name(ParamType type) {
    for (const auto& [name, t] : kTypes) {
        if (t == type) return std::string(name);
    }
    return "?";
}

// One `-- param:` value, read left to right in steps that each stop at the first
// problem (then `error_` holds the message).
class ParamLine {
  public:
    explicit ParamLine(std::string_view text) : text_(text) {}

    std::optional<ParamSpec> parse(std::string& error) {
        bool ok = name() && type() && (spec_.type != ParamType::Enum || enum_values()) &&
                  modifiers() && consistent() && bounds() && default_value();
        if (!ok) {
            error = std::move(error_);
            return std::nullopt;
        }
        return std::move(spec_);
    }

  private:
    bool fail(std::string message) {
        error_ = std::move(message);
        return false;
    }
    void skip_space() {
        while (pos_ < text_.size() && is_sql_space(text_[pos_]))
            ++pos_;
    }

    bool name() {
        while (pos_ < text_.size() && is_name_char(text_[pos_]))
            ++pos_;
        spec_.name = std::string(text_.substr(0, pos_));
        if (spec_.name.empty() || (pos_ < text_.size() && !is_sql_space(text_[pos_]))) {
            std::string word(text_.substr(0, text_.find_first_of(" \t")));
            return fail("param: expected a name ([A-Za-z_][A-Za-z0-9_]*), got '" + word + "'");
        }
        if (!is_identifier(spec_.name)) {
            return fail("param: name '" + spec_.name + "' must start with a letter or '_'");
        }
        who_ = "param '" + spec_.name + "': ";
        if (is_reserved_param(spec_.name)) {
            return fail(who_ +
                        "the name is reserved (format, section, run and trace are read by the "
                        "server)");
        }
        return true;
    }

    bool type() {
        skip_space();
        std::size_t type_start = pos_;
        while (pos_ < text_.size() && is_alpha(text_[pos_]))
            ++pos_;
        std::string type = lower(text_.substr(type_start, pos_ - type_start));
        auto found = std::find_if(std::begin(kTypes), std::end(kTypes),
                                  [&](const auto& entry) { return entry.first == type; });
        bool followed_ok = pos_ >= text_.size() || is_sql_space(text_[pos_]) ||
                           (type == "enum" && text_[pos_] == '(');
        if (found == std::end(kTypes) || !followed_ok) {
            std::string word(
                text_.substr(type_start, text_.find_first_of(" \t", type_start) - type_start));
            return fail(
                who_ +
                (word.empty() ? std::string("missing type") : "unknown type '" + word + "'") +
                " (text, int, bigint, numeric, bool, date, timestamp or enum(a|b|c))");
        }
        spec_.type = found->second;
        return true;
    }

    // enum(a|b|c): values trimmed, none empty, none twice.
    bool enum_values() {
        skip_space();
        std::size_t close = text_.find(')', pos_);
        if (pos_ >= text_.size() || text_[pos_] != '(' || close == std::string_view::npos) {
            return fail(who_ + "enum needs its values in parentheses: enum(a|b|c)");
        }
        std::string_view inner = text_.substr(pos_ + 1, close - pos_ - 1);
        pos_ = close + 1;
        auto& values = spec_.enum_values;
        while (true) {
            std::size_t bar = inner.find('|');
            std::string value(trim(inner.substr(0, bar)));
            if (value.empty()) return fail(who_ + "enum has an empty value");
            if (std::find(values.begin(), values.end(), value) != values.end()) {
                return fail(who_ + "enum value '" + value + "' is listed twice");
            }
            values.push_back(std::move(value));
            if (bar == std::string_view::npos) return true;
            inner.remove_prefix(bar + 1);
        }
    }

    // Modifiers, each at most once. default, min and max are kept raw until the
    // whole line is read: they are checked as values of the type at the end.
    bool modifiers() {
        std::set<std::string> seen;
        while (true) {
            skip_space();
            if (pos_ >= text_.size()) return true;
            std::size_t word_start = pos_;
            while (pos_ < text_.size() && !is_sql_space(text_[pos_]))
                ++pos_;
            std::string word = lower(text_.substr(word_start, pos_ - word_start));
            if (word != "required" && word != "default" && word != "min" && word != "max" &&
                word != "maxlen") {
                return fail(who_ + "unknown modifier '" +
                            std::string(text_.substr(word_start, pos_ - word_start)) +
                            "' (required, default, min, max, maxlen)");
            }
            if (!seen.insert(word).second) return fail(who_ + "'" + word + "' is given twice");
            if (word == "required") {
                spec_.required = true;
                continue;
            }
            std::string token_error;
            auto value = read_token(text_, pos_, token_error);
            if (!value) {
                return fail(who_ + word + ": " +
                            (token_error.empty() ? "missing value" : token_error));
            }
            if (word == "default") {
                raw_default_ = std::move(value);
            } else if (word == "min") {
                raw_min_ = std::move(value);
            } else if (word == "max") {
                raw_max_ = std::move(value);
            } else if (!maxlen(*value)) {
                return false;
            }
        }
    }

    bool maxlen(const std::string& value) {
        std::size_t n = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n == 0) {
            return fail(who_ + "maxlen must be a whole number >= 1, got '" + value + "'");
        }
        spec_.maxlen = n;
        return true;
    }

    // Modifiers that do not go with each other or with the type.
    bool consistent() {
        if (spec_.required && raw_default_) {
            return fail(who_ + "'required' and 'default' exclude each other");
        }
        ParamType t = spec_.type;
        bool ranged = t == ParamType::Int || t == ParamType::Bigint || t == ParamType::Numeric ||
                      t == ParamType::Date || t == ParamType::Timestamp;
        if ((raw_min_ || raw_max_) && !ranged) {
            return fail(who_ +
                        "min/max apply to int, bigint, numeric, date and timestamp params, not " +
                        type_name(t));
        }
        if (spec_.maxlen && t != ParamType::Text) {
            return fail(who_ + "maxlen applies to text params only, not " + type_name(t));
        }
        return true;
    }

    // min and max are checked as values of the type, then against each other.
    bool bounds() {
        ParamSpec bare = spec_;
        bare.maxlen.reset();
        for (auto [label, raw, slot] :
             {std::tuple{"min", &raw_min_, &spec_.min}, std::tuple{"max", &raw_max_, &spec_.max}}) {
            if (!*raw) continue;
            ValueCheck check = check_value(bare, **raw);
            if (!check.value) return fail(who_ + label + " " + check.problem);
            *slot = std::move(check.value);
        }
        if (spec_.min && spec_.max) {
            ParamSpec lower_bound = bare;
            lower_bound.min = spec_.min;
            if (!check_value(lower_bound, *spec_.max).value) {
                return fail(who_ + "min " + *spec_.min + " is greater than max " + *spec_.max);
            }
        }
        return true;
    }

    // The default must pass every check a request value would, bounds included.
    bool default_value() {
        if (!raw_default_) return true;
        ValueCheck check = check_value(spec_, *raw_default_);
        if (!check.value) return fail(who_ + "default " + check.problem);
        spec_.default_value = std::move(check.value);
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    ParamSpec spec_;
    std::string who_;  // "param 'NAME': ", the prefix of every message after the name
    std::optional<std::string> raw_default_, raw_min_, raw_max_;
    std::string error_;
};

}  // namespace

bool is_reserved_param(std::string_view name) {
    return name == "format" || name == "section" || name == "run" || name == "trace";
}

std::optional<ParamSpec> parse_param(std::string_view text, std::string& error) {
    return ParamLine(text).parse(error);
}

}  // namespace asyncpage::reports
