// A stored job result as JSON, HTML or CSV.
#include "page/job_result.hpp"

#include <spdlog/fmt/fmt.h>

#include "page/respond.hpp"
#include "render/csv.hpp"
#include "render/job_html.hpp"
#include "render/json.hpp"
#include "render/url_base.hpp"

namespace asyncpage::page {

namespace {
constexpr const char* kNoStore = "Cache-Control: no-store\r\n";
}  // namespace

void respond_job_result(fcgi::Request& request, http::Format format, const reports::Report* report,
                        const model::JobView& job, const model::PageResult& page,
                        const http::Fields& query) {
    switch (format) {
        case http::Format::Json:
            request.respond(200, "application/json", render::json_page(page, false), kNoStore);
            return;
        case http::Format::Html: {
            const std::string* frag = http::find_field(query, "fragment");
            render::UrlBase base(request.http().base);
            request.respond(200, "text/html; charset=utf-8",
                            render::html_job_result(report, job, page, frag && *frag == "1"),
                            kNoStore);
            return;
        }
        case http::Format::Csv:
            break;
    }
    const std::string* name = http::find_field(query, "section");
    const model::SectionResult* section = nullptr;
    std::string names;
    for (auto& s : page.sections) {
        names += (names.empty() ? "" : ", ") + s.name;
        if (name ? s.name == *name : page.sections.size() == 1) section = &s;
    }
    if (!section) {
        respond_error(request, format, 400,
                      name ? "section: no section '" + *name + "' in this result; one of: " + names
                           : "section: required for CSV, one of: " + names,
                      "section", {});
        return;
    }
    if (section->status != model::SectionStatus::Ok) {
        respond_error(request, format, 409,
                      fmt::format("section {} did not succeed ({}): {}", section->name,
                                  model::to_string(section->status), section->message),
                      {}, {});
        return;
    }
    std::string csv;
    render::append_csv_header(csv, section->table);
    render::append_csv_rows(csv, section->table);
    std::string extra = fmt::format(
        "Cache-Control: no-store\r\nContent-Disposition: attachment; "
        "filename=\"{}-{}.csv\"\r\n",
        job.report, section->name);
    request.respond(200, "text/csv; charset=utf-8", csv, extra);
}

}  // namespace asyncpage::page
