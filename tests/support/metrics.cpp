// Parser for the Prometheus text exposition format: `name{k="v",...} value [ts]`,
// with \\, \" and \n escapes in label values; # HELP / # TYPE lines recorded.
#include "support/metrics.hpp"

#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace support {

Metrics Metrics::parse(const std::string& text) {
    Metrics m;
    m.text_ = text;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (line[0] == '#') {
            std::istringstream words(line);
            std::string hash, kind, name, type;
            words >> hash >> kind >> name >> type;
            if (kind == "TYPE") m.types_[name] = type;
            continue;
        }
        Sample s;
        size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ')
            ++i;
        s.name = line.substr(0, i);
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                size_t eq = line.find('=', i);
                if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
                    throw std::runtime_error("bad metrics line: " + line);
                }
                std::string key = line.substr(i, eq - i);
                while (!key.empty() && (key.front() == ' ' || key.front() == ','))
                    key.erase(0, 1);
                std::string value;
                size_t j = eq + 2;
                for (; j < line.size() && line[j] != '"'; ++j) {
                    if (line[j] == '\\' && j + 1 < line.size()) {
                        ++j;
                        value += line[j] == 'n' ? '\n' : line[j];
                    } else {
                        value += line[j];
                    }
                }
                if (j >= line.size()) throw std::runtime_error("bad metrics line: " + line);
                s.labels[key] = value;
                i = j + 1;
                while (i < line.size() && (line[i] == ',' || line[i] == ' '))
                    ++i;
            }
            if (i >= line.size()) throw std::runtime_error("bad metrics line: " + line);
            ++i;  // '}'
        }
        while (i < line.size() && line[i] == ' ')
            ++i;
        std::string number = line.substr(i);
        if (auto sp = number.find(' '); sp != std::string::npos) number.resize(sp);  // timestamp
        char* end = nullptr;
        s.value = std::strtod(number.c_str(), &end);
        if (number.empty() || end == nullptr || *end != '\0' || s.name.empty()) {
            throw std::runtime_error("bad metrics line: " + line);
        }
        m.samples_.push_back(std::move(s));
    }
    return m;
}

std::optional<double> Metrics::find(const std::string& name,
                                    const std::map<std::string, std::string>& labels) const {
    std::optional<double> sum;
    for (const auto& s : samples_) {
        if (s.name != name) continue;
        bool match = true;
        for (const auto& [k, v] : labels) {
            auto it = s.labels.find(k);
            if (it == s.labels.end() || it->second != v) {
                match = false;
                break;
            }
        }
        if (match) sum = sum.value_or(0) + s.value;
    }
    return sum;
}

double Metrics::value(const std::string& name,
                      const std::map<std::string, std::string>& labels) const {
    auto v = find(name, labels);
    if (!v) {
        std::string l;
        for (const auto& [k, val] : labels)
            l += k + "=\"" + val + "\" ";
        throw std::runtime_error("no metric " + name + " {" + l + "} in /metrics:\n" + text_);
    }
    return *v;
}

std::string Metrics::type(const std::string& name) const {
    auto it = types_.find(name);
    return it == types_.end() ? std::string() : it->second;
}

}  // namespace support
