#pragma once
// GET /jobs/ID/result: a finished job's stored result in the requested format,
// rendered as a live page would be. HTML shows at most a bounded number of rows
// per section (read at once); JSON and one section as CSV are streamed chunk by
// chunk from the result pool (jobs::ResultStream), so their memory is one chunk
// however large the result.
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "fcgi/request.hpp"
#include "jobs/result_stream.hpp"
#include "jobs/store.hpp"
#include "model/job.hpp"
#include "model/result.hpp"
#include "page/xlsx_export.hpp"
#include "reports/report.hpp"

namespace asyncpage::page {

// HTML: `report` is null when the report file is gone; `query` holds `fragment`.
void respond_job_result_html(fcgi::Request& request, const reports::Report* report,
                             const model::JobView& job, const model::PageResult& page,
                             const http::Fields& query);

// The section a CSV or Excel export takes (`section`, or the only one); nullopt
// after answering the 400/409 that says why not.
std::optional<std::size_t> pick_export_section(fcgi::Request& request, http::Format format,
                                               const std::vector<jobs::StoredSectionHead>& heads,
                                               const http::Fields& query);

// A JSON answer, or one section as CSV, streamed from the stored chunks; or one
// section as an Excel workbook, spooled from them and built by a thread
// (page/xlsx_export.hpp). `keep` is held until the end (the request's owner).
// JSON and CSV headers are written at once.
class JobResultStream {
  public:
    // `section` is the exported one (CSV, Excel); `format` Json, Csv or Xlsx.
    JobResultStream(loop::EventLoop& loop, fcgi::Request& request, std::shared_ptr<void> keep,
                    pg::Pool& pool, const model::JobView& job,
                    std::vector<jobs::StoredSectionHead> heads, http::Format format,
                    std::optional<std::size_t> section);
    ~JobResultStream();
    // Runs once, from a callback, when the answer ended (also when the client left):
    // the owner then frees this deferred.
    void set_done(std::function<void()> done) { done_ = std::move(done); }
    void start();
    // Ends now (worker shutting down): the query is cancelled, the answer cut.
    void stop();

  private:
    void on_chunk(int position, std::string_view rows);
    void on_end(bool ok, const std::string& sqlstate, const std::string& message);
    void open_through(std::size_t index);  // JSON: sections up to `index` opened
    void flush(bool force);
    void end();
    void build_workbook();
    void fail_workbook(const std::string& why);

    fcgi::Request& request_;
    std::shared_ptr<void> keep_;
    std::vector<jobs::StoredSectionHead> heads_;
    http::Format format_;
    std::optional<std::size_t> section_;
    std::unique_ptr<XlsxExport> xlsx_;
    bool truncated_ = false;  // Excel: cut at its row limit
    std::function<void()> done_;
    jobs::ResultStream stream_;
    std::string out_;
    std::size_t next_section_ = 0;  // JSON: sections opened so far
    bool open_ = false;             // JSON: the section next_section_ - 1 is open
    bool first_row_ = true;
    bool ended_ = false;
};

}  // namespace asyncpage::page
