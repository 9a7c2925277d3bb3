// String and JSON helpers for assertions; no I/O.
#include "support/text.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <stdexcept>

namespace support {

bool contains(std::string_view text, std::string_view needle) {
    return text.find(needle) != std::string_view::npos;
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool icontains(std::string_view text, std::string_view needle) {
    return to_lower(text).find(to_lower(needle)) != std::string::npos;
}

size_t count_of(std::string_view text, std::string_view needle) {
    size_t n = 0;
    for (size_t pos = text.find(needle); pos != std::string_view::npos;
         pos = text.find(needle, pos + needle.size())) {
        ++n;
    }
    return n;
}

const nlohmann::json& section(const nlohmann::json& page, const std::string& name) {
    if (page.contains("sections") && page["sections"].is_array()) {
        for (const auto& s : page["sections"]) {
            if (s.contains("name") && s["name"] == name) return s;
        }
    }
    throw std::runtime_error("no section '" + name + "' in " + page.dump().substr(0, 2000));
}

std::vector<std::string> section_names(const nlohmann::json& page) {
    std::vector<std::string> names;
    for (const auto& s : page.at("sections"))
        names.push_back(s.at("name").get<std::string>());
    return names;
}

namespace {
long long days_from_civil(long long y, unsigned m, unsigned d) {  // H. Hinnant's algorithm
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long long>(doe) - 719468;
}
}  // namespace

std::optional<long long> iso8601_to_epoch_ms(const std::string& text) {
    static const std::regex re(
        R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.(\d{1,9}))?(Z|([+-])(\d{2})(:?(\d{2}))?)$)");
    std::smatch m;
    if (!std::regex_match(text, m, re)) return std::nullopt;
    long long days = days_from_civil(std::stoll(m[1]), std::stoul(m[2]), std::stoul(m[3]));
    long long ms = ((days * 24 + std::stoll(m[4])) * 60 + std::stoll(m[5])) * 60 + std::stoll(m[6]);
    ms *= 1000;
    if (m[8].matched) {
        std::string frac = m[8].str();
        frac.resize(3, '0');
        ms += std::stoll(frac.substr(0, 3));
    }
    if (m[9] != "Z") {
        long long off = std::stoll(m[11]) * 60 + (m[13].matched ? std::stoll(m[13]) : 0);
        if (m[10] == "+") off = -off;
        ms += off * 60 * 1000;
    }
    return ms;
}

}  // namespace support
