// A stored job result as HTML (bounded), or streamed as JSON or CSV.
#include "page/job_result.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "core/barrier.hpp"
#include "jobs/codec.hpp"
#include "page/respond.hpp"
#include "render/csv.hpp"
#include "render/job_html.hpp"
#include "render/json.hpp"
#include "render/url_base.hpp"

namespace asyncpage::page {

namespace {
constexpr const char* kNoStore = "Cache-Control: no-store\r\n";
// Output is handed to nginx in pieces of about this size.
constexpr std::size_t kFlushBytes = 64 * 1024;
}  // namespace

void respond_job_result_html(fcgi::Request& request, const reports::Report* report,
                             const model::JobView& job, const model::PageResult& page,
                             const http::Fields& query) {
    const std::string* frag = http::find_field(query, "fragment");
    render::UrlBase base(request.http().base);
    request.respond(200, "text/html; charset=utf-8",
                    render::html_job_result(report, job, page, frag && *frag == "1"), kNoStore);
}

std::optional<std::size_t> pick_export_section(fcgi::Request& request, http::Format format,
                                               const std::vector<jobs::StoredSectionHead>& heads,
                                               const http::Fields& query) {
    const std::string* name = http::find_field(query, "section");
    std::optional<std::size_t> found;
    std::string names;
    for (std::size_t i = 0; i < heads.size(); ++i) {
        const auto& s = heads[i].section;
        names += (names.empty() ? "" : ", ") + s.name;
        if (name ? s.name == *name : heads.size() == 1) found = i;
    }
    if (!found) {
        const char* what = format == http::Format::Xlsx ? "Excel" : "CSV";
        respond_error(request, format, 400,
                      name ? "section: no section '" + *name + "' in this result; one of: " + names
                           : std::string("section: required for ") + what + ", one of: " + names,
                      "section", {});
        return std::nullopt;
    }
    const auto& s = heads[*found].section;
    if (s.status != model::SectionStatus::Ok) {
        respond_error(request, format, 409,
                      fmt::format("section {} did not succeed ({}): {}", s.name,
                                  model::to_string(s.status), s.message),
                      {}, {});
        return std::nullopt;
    }
    return found;
}

JobResultStream::JobResultStream(loop::EventLoop& loop, fcgi::Request& request,
                                 std::shared_ptr<void> keep, pg::Pool& pool,
                                 const model::JobView& job,
                                 std::vector<jobs::StoredSectionHead> heads, http::Format format,
                                 std::optional<std::size_t> section)
    : request_(request),
      keep_(std::move(keep)),
      heads_(std::move(heads)),
      format_(format),
      section_(section),
      stream_(
          pool, job.id, section ? std::optional<int>(heads_[*section].position) : std::nullopt,
          [this](int position, std::string_view rows) { on_chunk(position, rows); },
          [this](bool ok, const std::string& sqlstate, const std::string& message) {
              on_end(ok, sqlstate, message);
          }) {
    if (format_ == http::Format::Xlsx) {
        const auto& s = heads_[*section_];
        // A loop callback of the export (its build ending, its sending) that
        // throws ends this answer only (docs/ARCHITECTURE.md, "Exceptions").
        auto guard = [this](const std::function<void()>& f) {
            barrier(f, [this](const char* what) {
                spdlog::error("jobs: an Excel export of a job result failed: {}", what);
                fail_workbook("the Excel export failed");
            });
        };
        xlsx_ = std::make_unique<XlsxExport>(loop, job.report, s.section.name, guard);
        std::vector<render::XlsxColumn> columns;
        for (const auto& c : s.columns)
            columns.push_back({c.name, c.type});
        xlsx_->set_columns(std::move(columns));
    } else if (format_ == http::Format::Csv) {
        const auto& s = heads_[*section_];
        request_.write_headers(200, "text/csv; charset=utf-8",
                               fmt::format("Cache-Control: no-store\r\nContent-Disposition: "
                                           "attachment; filename=\"{}-{}.csv\"\r\n",
                                           job.report, s.section.name));
        if (!s.columns.empty()) {
            // The header row from the stored columns: a section without rows has one too.
            model::Table names = model::make_table(s.columns, {});
            render::append_csv_header(out_, names);
        }
    } else {
        request_.write_headers(200, "application/json", kNoStore);
        std::vector<model::SectionResult> sections;
        for (auto& h : heads_) {
            // What the page's status and time are made of; the rows come later.
            auto& s = sections.emplace_back();
            s.name = h.section.name;
            s.status = h.section.status;
            s.elapsed_ms = h.section.elapsed_ms;
        }
        model::PageResult page = jobs::assemble_page(std::move(sections));
        page.report = job.report;
        render::append_json_page_open(out_, page);
    }
}

JobResultStream::~JobResultStream() = default;

void JobResultStream::start() {
    request_.watch_hangup([this] {
        stream_.stop();
        end();
    });
    stream_.start();
}

void JobResultStream::stop() {
    stream_.stop();
    end();
}

void JobResultStream::open_through(std::size_t index) {
    while (next_section_ <= index) {
        if (open_) render::append_json_section_close(out_, heads_[next_section_ - 1].section);
        const auto& h = heads_[next_section_];
        render::append_json_section_open(out_, h.section, h.columns, next_section_ == 0);
        open_ = true;
        first_row_ = true;
        ++next_section_;
    }
}

void JobResultStream::on_chunk(int position, std::string_view rows) {
    if (ended_) return;
    std::size_t index = 0;
    if (section_) {
        index = *section_;
    } else {
        // Chunks come ordered by position; a section's index is found after the last.
        index = next_section_ == 0 ? 0 : next_section_ - 1;
        while (index < heads_.size() && heads_[index].position != position)
            ++index;
        if (index == heads_.size()) return;  // a section no longer listed
        open_through(index);
    }
    const auto& head = heads_[index];
    // Rows of a section that did not finish are never shown (as for a live page).
    if (head.section.status != model::SectionStatus::Ok || head.columns.empty()) return;
    std::vector<std::vector<std::optional<std::string>>> cells;
    jobs::decode_rows(rows, cells);
    if (xlsx_) {
        // Excel's last row: the rest of the result is not read (a note sheet says so).
        std::size_t room = render::kXlsxMaxDataRows - xlsx_->rows();
        if (cells.size() >= room) {
            cells.resize(room);
            truncated_ = true;
        }
        xlsx_->add_rows(cells);
        if (truncated_) {
            stream_.stop();
            build_workbook();
        }
        return;
    }
    model::Table table = model::make_table(head.columns, cells);
    if (format_ == http::Format::Csv) {
        render::append_csv_rows(out_, table);
    } else {
        render::append_json_rows(out_, table, first_row_);
    }
    flush(false);
}

void JobResultStream::flush(bool force) {
    if (out_.empty() || (!force && out_.size() < kFlushBytes)) return;
    // A blocking write to nginx, which buffers (docs/ARCHITECTURE.md, "libfcgi").
    request_.write(out_);
    out_.clear();
    if (!request_.ok()) {
        stream_.stop();  // the client left
        end();
    }
}

void JobResultStream::on_end(bool ok, const std::string& sqlstate, const std::string& message) {
    if (ended_) return;
    if (xlsx_) {
        if (ok) return build_workbook();
        spdlog::warn("jobs: reading a job's result failed: {} (SQLSTATE {})", message, sqlstate);
        return fail_workbook("reading the result failed: " + message);
    }
    if (!ok) {
        spdlog::warn("jobs: reading a job's result failed: {} (SQLSTATE {})", message, sqlstate);
        // The status line is gone: CSV says so in its last record; a JSON answer is
        // cut short, which no JSON reader takes for a whole one.
        if (format_ == http::Format::Csv)
            render::append_csv_error(out_, sqlstate, "reading the result failed: " + message);
    } else if (format_ == http::Format::Json) {
        if (!heads_.empty()) open_through(heads_.size() - 1);
        if (open_) render::append_json_section_close(out_, heads_[next_section_ - 1].section);
        open_ = false;
        render::append_json_page_close(out_);
    }
    flush(true);
    end();
}

// Every row is in the spool: the workbook is made by the export's thread, then
// sent from its file (page/xlsx_export.hpp).
void JobResultStream::build_workbook() {
    xlsx_->build(truncated_, [this](const std::string& error) {
        if (ended_) return;
        if (!error.empty()) {
            spdlog::error("jobs: an Excel export of a job result failed: {}", error);
            return fail_workbook("the Excel export failed: " + error);
        }
        xlsx_->send(request_, kNoStore, [this] { end(); });
    });
}

// Nothing of the workbook was sent yet when any of this happens: a plain 500.
void JobResultStream::fail_workbook(const std::string& why) {
    if (ended_) return;
    if (!request_.output_started())
        request_.respond(500, "text/plain; charset=utf-8", why + "\n", kNoStore);
    end();
}

void JobResultStream::end() {
    if (ended_) return;
    ended_ = true;
    request_.finish();
    if (done_) done_();
}

}  // namespace asyncpage::page
