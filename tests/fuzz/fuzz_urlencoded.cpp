// libFuzzer target for the query-string/form decoder and format negotiation: any
// bytes as a query string (and as an Accept header). Checks the field count and
// sizes, that encoding the fields and decoding again gives them back, and that
// parse_duration/parse_size survive the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/units.hpp"
#include "http/request.hpp"

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace asyncpage::http;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const Fields fields = decode_urlencoded(text);

    std::size_t parts = 1, decoded = 0;
    for (char c : text)
        parts += c == '&';
    check(fields.size() <= parts);
    for (const auto& [key, value] : fields) {
        check(!key.empty());
        decoded += key.size() + value.size();
    }
    check(decoded <= text.size());  // decoding never lengthens

    std::string query;
    append_query(query, fields);
    for (char c : query) {
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~' || c == '%' || c == '&' ||
                     c == '=';
        check(plain);
    }
    check(decode_urlencoded(query) == fields);

    const std::string* format = find_field(fields, "format");
    check(is_known_format(fields) == (format == nullptr || parse_format(*format).has_value()));
    Format chosen = negotiate_format(fields, text);
    if (format && parse_format(*format)) check(chosen == *parse_format(*format));
    negotiate_format({}, text);

    if (auto d = asyncpage::parse_duration(text)) check(d->count() >= 0);
    asyncpage::parse_size(text);
    return 0;
}
