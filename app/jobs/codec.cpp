// The job codec: nlohmann both ways, so what is written is what is read.
#include "jobs/codec.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "render/json.hpp"

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

std::string encode_results(const std::vector<model::SectionResult>& sections,
                           const std::vector<SectionShape>& shapes) {
    json out = json::array();
    for (std::size_t i = 0; i < sections.size(); ++i) {
        const auto& r = sections[i];
        const auto& t = r.table;
        bool ok = r.status == model::SectionStatus::Ok;
        json columns = json::array();
        std::int64_t row_count = 0;
        if (ok && i < shapes.size()) {
            for (auto& c : shapes[i].columns)
                columns.push_back({{"name", c.name}, {"type", c.type}});
            row_count = shapes[i].rows;
        } else if (ok && !t.empty()) {
            for (std::size_t c = 0; c < t.columns(); ++c)
                columns.push_back(
                    {{"name", std::string(t.column_name(c))}, {"type", t.column_type(c)}});
            row_count = static_cast<std::int64_t>(t.rows());
        }
        // Microseconds are all a stored time needs: pages show whole milliseconds.
        out.push_back({{"position", i},
                       {"name", r.name},
                       {"status", model::to_string(r.status)},
                       {"elapsed_ms", std::round(r.elapsed_ms * 1000) / 1000},
                       {"columns", std::move(columns)},
                       {"row_count", row_count},
                       {"error_sqlstate", nullable(r.sqlstate)},
                       {"message", nullable(r.message)}});
    }
    return dump(out);
}

void append_chunk_row(std::string& chunk, const PGresult* result, int row) {
    chunk += '[';
    int columns = PQnfields(result);
    for (int c = 0; c < columns; ++c) {
        if (c > 0) chunk += ',';
        if (PQgetisnull(result, row, c)) {
            chunk += "null";
        } else {
            render::append_json_string(
                chunk, std::string_view(PQgetvalue(result, row, c),
                                        static_cast<std::size_t>(PQgetlength(result, row, c))));
        }
    }
    chunk += ']';
}

std::string encode_rows(const model::Table& t) {
    std::string out = "[";
    for (std::size_t row = 0; row < t.rows(); ++row) {
        if (row > 0) out += ',';
        out += '[';
        for (std::size_t c = 0; c < t.columns(); ++c) {
            if (c > 0) out += ',';
            if (t.is_null(row, c)) {
                out += "null";
            } else {
                render::append_json_string(out, t.value(row, c));
            }
        }
        out += ']';
    }
    out += ']';
    return out;
}

void decode_rows(std::string_view chunk,
                 std::vector<std::vector<std::optional<std::string>>>& cells) {
    auto rows = json::parse(chunk, nullptr, false);
    if (!rows.is_array()) return;
    cells.reserve(cells.size() + rows.size());
    for (auto& row : rows) {
        if (!row.is_array()) continue;
        auto& out = cells.emplace_back();
        out.reserve(row.size());
        for (auto& v : row)
            out.push_back(v.is_string() ? std::optional(v.get<std::string>()) : std::nullopt);
    }
}

std::vector<model::ColumnSpec> decode_columns(std::string_view text) {
    std::vector<model::ColumnSpec> specs;
    auto cols = json::parse(text, nullptr, false);
    if (!cols.is_array()) return specs;
    for (auto& c : cols)
        if (c.is_object()) specs.push_back({c.value("name", ""), c.value("type", kTextOid)});
    return specs;
}

model::SectionResult decode_section(const StoredSection& stored) {
    model::SectionResult s;
    s.name = stored.name;
    s.status = section_status(stored.status);
    s.elapsed_ms = stored.elapsed_ms;
    if (stored.sqlstate) s.sqlstate = *stored.sqlstate;
    if (stored.message) s.message = *stored.message;
    auto specs = decode_columns(stored.columns);
    if (specs.empty() || stored.rows.empty()) return s;
    std::vector<std::vector<std::optional<std::string>>> cells;
    decode_rows(stored.rows, cells);
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
        if (auto it = j.find("attempt"); it != j.end() && it->is_number_integer())
            v.attempt = it->get<int>();
        if (auto it = j.find("max_attempts"); it != j.end() && it->is_number_integer())
            v.max_attempts = it->get<int>();
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
