// The job codec: nlohmann both ways, so what is written is what is read.
#include "jobs/codec.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace asyncpage::jobs {

namespace {
using nlohmann::json;

// Report output is PostgreSQL text in the server encoding; a byte that is not
// UTF-8 becomes U+FFFD instead of failing the whole job's result.
std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json nullable(const std::string& s) {
    return s.empty() ? json(nullptr) : json(s);
}

model::SectionStatus section_status(const std::string& s) {
    if (s == "ok") return model::SectionStatus::Ok;
    if (s == "timeout") return model::SectionStatus::Timeout;
    if (s == "error") return model::SectionStatus::Error;
    return model::SectionStatus::Cancelled;
}

constexpr Oid kTextOid = 25;
}  // namespace

std::string encode_params(const reports::Report& report, const http::Fields& given) {
    json params = json::object();
    for (auto& p : report.params) {
        if (const std::string* v = http::find_field(given, p.name)) params[p.name] = *v;
    }
    return dump(params);
}

http::Fields decode_params(std::string_view text) {
    http::Fields out;
    auto j = json::parse(text, nullptr, false);
    if (!j.is_object()) return out;
    for (auto& [k, v] : j.items())
        if (v.is_string()) out.emplace_back(k, v.get<std::string>());
    return out;
}

std::string encode_results(const std::vector<model::SectionResult>& sections) {
    json out = json::array();
    for (std::size_t i = 0; i < sections.size(); ++i) {
        const auto& r = sections[i];
        const auto& t = r.table;
        bool rows = r.status == model::SectionStatus::Ok && !t.empty();
        json columns = json::array();
        json cells = json::array();
        for (std::size_t c = 0; rows && c < t.columns(); ++c)
            columns.push_back(
                {{"name", std::string(t.column_name(c))}, {"type", t.column_type(c)}});
        for (std::size_t row = 0; rows && row < t.rows(); ++row) {
            json& line = cells.emplace_back(json::array());
            for (std::size_t c = 0; c < t.columns(); ++c)
                line.push_back(t.is_null(row, c) ? json(nullptr)
                                                 : json(std::string(t.value(row, c))));
        }
        // Microseconds are all a stored time needs: pages show whole milliseconds.
        out.push_back({{"position", i},
                       {"name", r.name},
                       {"status", model::to_string(r.status)},
                       {"elapsed_ms", std::round(r.elapsed_ms * 1000) / 1000},
                       {"columns", std::move(columns)},
                       {"rows", std::move(cells)},
                       {"error_sqlstate", nullable(r.sqlstate)},
                       {"message", nullable(r.message)}});
    }
    return dump(out);
}

model::SectionResult decode_section(const StoredSection& stored) {
    model::SectionResult s;
    s.name = stored.name;
    s.status = section_status(stored.status);
    s.elapsed_ms = stored.elapsed_ms;
    if (stored.sqlstate) s.sqlstate = *stored.sqlstate;
    if (stored.message) s.message = *stored.message;
    auto cols = json::parse(stored.columns, nullptr, false);
    if (!cols.is_array() || cols.empty()) return s;
    std::vector<model::ColumnSpec> specs;
    for (auto& c : cols)
        specs.push_back({c.value("name", ""), c.value("type", kTextOid)});
    std::vector<std::vector<std::optional<std::string>>> cells;
    auto rows = json::parse(stored.rows, nullptr, false);
    if (rows.is_array()) {
        cells.reserve(rows.size());
        for (auto& row : rows) {
            auto& out = cells.emplace_back();
            for (auto& v : row)
                out.push_back(v.is_string() ? std::optional(v.get<std::string>()) : std::nullopt);
        }
    }
    s.table = model::make_table(specs, cells);
    return s;
}

model::PageResult assemble_page(std::vector<model::SectionResult> sections) {
    model::PageResult page;
    std::size_t ok = 0;
    for (auto& s : sections) {
        ok += s.status == model::SectionStatus::Ok;
        page.elapsed_ms = std::max(page.elapsed_ms, s.elapsed_ms);
    }
    page.status = ok == sections.size() ? model::PageStatus::Ok
                  : ok > 0              ? model::PageStatus::Partial
                                        : model::PageStatus::Error;
    page.sections = std::move(sections);
    return page;
}

model::JobView decode_job_view(const std::string& text, std::string_view params) {
    model::JobView v;
    v.json = text;
    auto j = json::parse(text, nullptr, false);
    auto str = [&](const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (j.is_object()) {
        v.id = str("id");
        v.report = str("report");
        v.state = str("state");
        v.message = str("message");
        v.created_at = str("created_at");
        v.started_at = str("started_at");
        v.finished_at = str("finished_at");
        if (auto it = j.find("progress"); it != j.end() && it->is_number_integer())
            v.progress = it->get<int>();
        if (auto it = j.find("version"); it != j.end() && it->is_number_integer())
            v.version = it->get<std::int64_t>();
        if (auto it = j.find("error"); it != j.end() && it->is_object()) {
            // Not value("sqlstate", ""): it throws on a null (a JSON null is present).
            auto field = [&](const char* key) {
                auto f = it->find(key);
                return f != it->end() && f->is_string() ? f->get<std::string>() : std::string();
            };
            v.error_sqlstate = field("sqlstate");
            v.error_message = field("message");
        }
    }
    v.params = decode_params(params);
    return v;
}

}  // namespace asyncpage::jobs
