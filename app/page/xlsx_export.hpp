#pragma once
// One Excel export (?format=xlsx) of a page, in three phases that never block the
// loop (docs/ARCHITECTURE.md, "Excel exports"):
//   spooling  the section's rows, as single-row mode delivers them, appended to an
//             unlinked temp file (render::append_spool_rows);
//   building  a helper thread makes the workbook from the spool with
//             libxlsxwriter (render::build_xlsx) and wakes the loop through an
//             eventfd when the file is ready;
//   sending   the file goes to nginx in chunks through the connection's queue,
//             pausing while it is congested.
// Every temp file is unlinked as soon as it is open (the spool at once, the
// workbook when the thread has written it), so whatever ends the export (answer,
// client gone, deadline, error, exception) the files go with their last fd.
// At most kMaxActive exports live in one worker; the router answers 503 beyond.
#include <libpq-fe.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "fcgi/request.hpp"
#include "loop/event_loop.hpp"
#include "render/xlsx.hpp"

namespace asyncpage::page {

class XlsxExport {
  public:
    // Exports (spooling, building or sending) one worker runs at once: each holds a
    // spool on disk and, while building, a thread and one of the two cores.
    static constexpr std::size_t kMaxActive = 4;
    static std::size_t active();

    // Runs a callback of the loop inside the page's exception barrier.
    using Guard = std::function<void(const std::function<void()>&)>;
    // Opens the spool file in the temp directory ($TMPDIR, else /tmp). Throws
    // std::system_error when it cannot.
    XlsxExport(loop::EventLoop& loop, std::string report, std::string section, Guard guard);
    // Unwatches the eventfd and tells a running build to stop; the thread frees
    // what it still holds when it ends.
    ~XlsxExport();
    XlsxExport(const XlsxExport&) = delete;
    XlsxExport& operator=(const XlsxExport&) = delete;

    // Spooling: every row of `res` (throws std::system_error when the spool cannot
    // be written, e.g. the disk is full).
    void add_rows(const PGresult* res);
    // A stored job result's rows; its columns come first (a section may have none).
    void set_columns(std::vector<render::XlsxColumn> columns) { columns_ = std::move(columns); }
    void add_rows(const render::StoredRows& rows);
    std::size_t rows() const { return rows_; }

    // Building: starts the thread; `done(error)` runs on the loop once, with an
    // empty error when the workbook is ready to send.
    void build(bool truncated, std::function<void(const std::string& error)> done);

    // Sending: headers (with Content-Disposition), then the file in chunks; `sent`
    // runs once all of it is queued. Stops by itself when the request is gone.
    void send(fcgi::Request& request, const std::string& extra_headers, std::function<void()> sent);

    // "report-section.xlsx" with anything but [A-Za-z0-9._-] as '_'.
    std::string filename() const;

  private:
    struct Shared;
    void flush_spool();
    void send_more();

    loop::EventLoop& loop_;
    std::string report_, section_;
    Guard guard_;
    std::shared_ptr<Shared> shared_;  // with the build thread
    std::string buffer_;              // spool bytes not yet written
    std::size_t rows_ = 0;
    std::vector<render::XlsxColumn> columns_;
    bool watching_ = false;
    // Sending.
    fcgi::Request* request_ = nullptr;
    std::function<void()> sent_;
    off_t offset_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for deferred sends
};

}  // namespace asyncpage::page
