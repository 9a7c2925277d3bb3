// PendingPage: the life of one report request inside a worker, from its run's
// start through queries (or cancellation) to the one finish().
#include "page/pending_page.hpp"

#include <spdlog/spdlog.h>

#include "core/barrier.hpp"
#include "core/units.hpp"
#include "log/log.hpp"
#include "model/pg_error.hpp"
#include "render/csv.hpp"
#include "render/html.hpp"
#include "render/json.hpp"
#include "render/url_base.hpp"

namespace asyncpage::page {

using model::SectionStatus;

namespace {
constexpr std::size_t kCsvFlushBytes = 64 * 1024;
}  // namespace

PendingPage::PendingPage(PageEnv env, std::unique_ptr<fcgi::Request> request,
                         std::shared_ptr<const reports::Report> report, reports::BoundValues values,
                         http::Fields given, Output output, std::size_t csv_section, bool trace,
                         OnDone on_done)
    : env_(env),
      request_(std::move(request)),
      report_(std::move(report)),
      values_(std::move(values)),
      given_(std::move(given)),
      output_(output),
      csv_section_(csv_section),
      trace_(trace),
      on_done_(std::move(on_done)),
      run_(env_.loop, env_.pool, report_, *this) {}

PendingPage::~PendingPage() {
    // Only reached through finish() + close_later, or worker shutdown; the run
    // cancels what is unfinished.
    if (request_) request_->unwatch_hangup();
    env_.loop.cancel_timer(build_deadline_);
}

void PendingPage::start() {
    ++env_.metrics.pending;
    counted_ = true;
    // The page's barrier (core/barrier.hpp) for the ways in that do not come
    // through its run: this start and the hangup handler. The run guards the rest.
    auto fail = [this](const char* what) { on_exception(what); };
    request_->watch_hangup([this, fail] { barrier([this] { on_client_gone(); }, fail); });
    // Only the exported section runs for CSV and Excel; the others are not part of
    // its answer.
    barrier(
        [this, fail] {
            if (output_ == Output::Xlsx) {
                xlsx_ = std::make_unique<XlsxExport>(
                    env_.loop, report_->name, report_->sections[csv_section_].name,
                    [fail](const std::function<void()>& body) { barrier(body, fail); });
            }
            run_.start(std::move(values_), report_->timeout,
                       one_section() ? std::optional(csv_section_) : std::nullopt);
        },
        fail);
}

// An exception in this page's code (the barrier: core/barrier.hpp). finish() may be
// the code that threw, half-way (rendering out of memory), so this ends the page
// by itself: 500 when nothing was sent yet, else the connection is closed.
void PendingPage::on_exception(const char* what) {
    spdlog::error("page {} {} (report {}) failed with an exception: {}", request_->http().method,
                  request_->http().path, report_->name, what);
    if (ended_) return;
    bool streaming = state_ == PageState::Streaming;
    state_ = PageState::Done;
    env_.loop.cancel_timer(build_deadline_);  // a running build stops when the page is freed
    request_->unwatch_hangup();
    run_.stop(SectionStatus::Cancelled, "internal error");
    if (!request_->finished()) {
        if (csv_header_sent_ || streaming) {
            request_->finish();  // a cut export: the client sees the connection end early
        } else {
            request_->respond(500, "text/plain; charset=utf-8",
                              "internal error: the page failed; see the server log\n",
                              "Cache-Control: no-store\r\n");
        }
    }
    uncount();
    env_.metrics.observe_page(model::PageStatus::Error, since_start() / 1000.0);
    end_note_ = "exception";
    log_access(model::PageStatus::Error, EndReason::Completed);
    ended_ = true;
    on_done_(this);
}

void PendingPage::uncount() {
    if (counted_) --env_.metrics.pending;
    counted_ = false;
}

// HTML and JSON keep at most this many rows a section (the report's max_rows:,
// else the config's); a CSV export has no cap, nor has /healthz. An Excel export
// stops at Excel's last row.
std::size_t PendingPage::max_rows() const {
    if (output_ == Output::Xlsx) return render::kXlsxMaxDataRows;
    if (output_ != Output::Html && output_ != Output::Json) return 0;
    int n = report_->max_rows > 0 ? report_->max_rows : env_.max_rows;
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::string PendingPage::timeout_message() const {
    return fmt::format("did not finish within the report's {} s timeout",
                       format_seconds(report_->timeout));
}

void PendingPage::on_finished() {
    if (state_ == PageState::Done) return;
    if (output_ == Output::Xlsx && page_status(false) == model::PageStatus::Ok) {
        start_build();
        return;
    }
    finish(EndReason::Completed);
}

// Every row is in the spool: the workbook thread starts, within what is left of the
// report's timeout (an export ends by its deadline as a CSV export does).
void PendingPage::start_build() {
    state_ = PageState::Building;
    auto left = report_->timeout - std::chrono::milliseconds(static_cast<long>(since_start()));
    build_deadline_ = env_.loop.add_timer(std::max(left, std::chrono::milliseconds(0)), [this] {
        build_deadline_ = 0;
        barrier([this] { on_build_deadline(); }, [this](const char* what) { on_exception(what); });
    });
    xlsx_->build(run_.results()[csv_section_].truncated,
                 [this](const std::string& error) { on_built(error); });
}

void PendingPage::on_build_deadline() {
    if (state_ != PageState::Building) return;
    ++env_.metrics.timeouts;
    end_note_ = "deadline";
    xlsx_error_code_ = 504;
    xlsx_error_ = "export stopped: the workbook was not ready within the report's " +
                  format_seconds(report_->timeout) + " s timeout";
    finish(EndReason::Deadline);
}

void PendingPage::on_built(const std::string& error) {
    if (state_ != PageState::Building) return;
    env_.loop.cancel_timer(build_deadline_);
    build_deadline_ = 0;
    if (!error.empty()) {
        spdlog::error("report {} section {}: the Excel export failed: {}", report_->name,
                      report_->sections[csv_section_].name, error);
        end_note_ = "xlsx error";
        xlsx_error_code_ = 500;
        xlsx_error_ = "the Excel export failed: " + error;
        finish(EndReason::Completed);
        return;
    }
    state_ = PageState::Streaming;
    xlsx_->send(*request_, cache_control(model::PageStatus::Ok), [this] {
        if (state_ == PageState::Streaming) finish(EndReason::Completed);
    });
}

// The report's timeout passed (run::ReportRun::on_deadline has stopped what was
// unfinished).
void PendingPage::on_deadline(const std::string& message) {
    if (state_ == PageState::Done) return;
    ++env_.metrics.timeouts;
    end_note_ = "deadline";
    if (output_ == Output::Csv && csv_header_sent_) {
        csv_error(std::string(model::sqlstate::kQueryCanceled), "export stopped: " + message);
    }
    finish(EndReason::Deadline);
}

void PendingPage::on_client_gone() {
    if (state_ == PageState::Done) return;
    ++env_.metrics.client_aborts;
    end_note_ = "client left";
    run_.stop(SectionStatus::Cancelled, "the client closed the connection");
    finish(EndReason::ClientLeft);
}

model::PageStatus PendingPage::page_status(bool deadline_passed) const {
    using model::PageStatus;
    // The Excel workbook could not be made (its rows were all fine).
    if (xlsx_error_code_ == 504) return PageStatus::Timeout;
    if (xlsx_error_code_ != 0) return PageStatus::Error;
    std::size_t ok = 0, errors = 0, lost = 0;
    for (auto& r : run_.results()) {
        if (one_section() && &r != &run_.results()[csv_section_]) continue;
        if (r.status == SectionStatus::Ok) ++ok;
        if (r.status == SectionStatus::Error) {
            ++errors;
            lost += model::sqlstate::is_unavailable(r.sqlstate);
        }
    }
    // Every section died with its connection (PostgreSQL stopped or restarting):
    // the database is unavailable, not the report broken.
    if (ok == 0 && errors > 0 && lost == errors) return PageStatus::Unavailable;
    std::size_t total = one_section() ? 1 : run_.results().size();
    if (ok == total) return PageStatus::Ok;
    if (ok == 0 && errors == 0) {
        if (!deadline_passed) return PageStatus::Error;
        // Nothing ran: was PostgreSQL unreachable, or were we only queued behind others?
        auto st = env_.pool.stats();
        bool reachable = st.idle + st.busy + st.cancelling > 0;
        return (!got_connection_ && !reachable) ? PageStatus::Unavailable : PageStatus::Timeout;
    }
    if (ok == 0) return PageStatus::Error;
    return PageStatus::Partial;
}

void PendingPage::finish(EndReason reason) {
    if (state_ == PageState::Done) return;
    PageState was = state_;
    state_ = PageState::Done;
    request_->unwatch_hangup();
    run_.stop(SectionStatus::Cancelled, "page ended");

    auto status = page_status(reason == EndReason::Deadline);
    if (reason == EndReason::ClientLeft) {
        request_->finish();  // nobody to answer
    } else if (was == PageState::Streaming) {
        if (!csv_buffer_.empty()) request_->write(csv_buffer_);
        csv_buffer_.clear();
        request_->finish();
    } else {
        respond(status);
    }
    uncount();
    // A page nobody waited for is counted in client_aborts, not by outcome.
    if (reason != EndReason::ClientLeft) env_.metrics.observe_page(status, since_start() / 1000.0);
    log_access(status, reason);
    ended_ = true;
    on_done_(this);
}

void PendingPage::respond(model::PageStatus status) {
    using model::PageStatus;
    int code = 200;
    switch (status) {
        case PageStatus::Ok:
        case PageStatus::Partial:
            code = 200;
            break;
        case PageStatus::Error:
            code = 500;
            break;
        case PageStatus::Timeout:
            code = 504;
            break;
        case PageStatus::Unavailable:
            code = 503;
            break;
    }
    std::string extra =
        code == 503 ? "Retry-After: 5\r\nCache-Control: no-store\r\n" : cache_control(status);
    if (output_ == Output::Health) {
        if (status == PageStatus::Ok) {
            request_->respond(200, "text/plain; charset=utf-8", "ok\n", extra);
        } else {
            request_->respond(503, "text/plain; charset=utf-8",
                              "unavailable: PostgreSQL cannot be reached\n",
                              "Retry-After: 5\r\nCache-Control: no-store\r\n");
        }
        return;
    }
    if (!xlsx_error_.empty()) {
        request_->respond(xlsx_error_code_, "text/plain; charset=utf-8", xlsx_error_ + "\n", extra);
        return;
    }
    if (one_section()) {
        const auto& r = run_.results()[csv_section_];
        if (status == PageStatus::Ok) {  // a statement without a result set: no rows
            request_->respond(200, "text/csv; charset=utf-8", "", extra);
            return;
        }
        std::string msg;
        if (status == PageStatus::Unavailable) {
            msg = "database unavailable: no connection within the report's timeout\n";
        } else if (r.status == SectionStatus::Error) {
            msg =
                fmt::format("section {} failed: {} (SQLSTATE {})\n", r.name, r.message, r.sqlstate);
        } else {
            msg = fmt::format("section {}: {}\n", r.name, r.message);
        }
        request_->respond(code == 200 ? 500 : code, "text/plain; charset=utf-8", msg, extra);
        return;
    }
    model::PageResult page;
    page.report = report_->name;
    page.status = status;
    page.elapsed_ms = since_start();
    for (auto& r : run_.results())
        page.wait_ms += r.wait_ms;
    page.sections = std::move(run_.results());
    if (output_ == Output::Json) {
        send_body(code, "application/json", render::json_page(page, trace_), extra);
    } else {
        render::UrlBase base(request_->http().base);
        send_body(code, "text/html; charset=utf-8",
                  render::html_report(*report_, given_, &page, nullptr, trace_), extra);
    }
    run_.results() = std::move(page.sections);  // kept for the access log
}

// `cache: D` (README, "Report files"): a complete answer may be kept D seconds by
// nginx and browsers. A partial page, an error and a CSV export (whose headers go
// out before its end is known) are never kept.
std::string PendingPage::cache_control(model::PageStatus status) const {
    bool cacheable =
        report_->cache.count() > 0 && status == model::PageStatus::Ok &&
        (output_ == Output::Html || output_ == Output::Json || output_ == Output::Xlsx);
    if (!cacheable) return "Cache-Control: no-store\r\n";
    return fmt::format("Cache-Control: public, max-age={}\r\n", report_->cache.count());
}

// A rendered page (up to max_rows rows a section: megabytes) is framed straight
// into the connection's queue behind its headers, with the end records in the
// same queue: nginx must get END_REQUEST together with the last body byte. Sent
// apart, nginx may see the whole Content-Length first, take the answer as done
// without END_REQUEST and close the kept connection (docs/ARCHITECTURE.md, "Output").
void PendingPage::send_body(int code, std::string_view content_type, const std::string& body,
                            const std::string& extra) {
    request_->respond(code, content_type, body, extra);
}

void PendingPage::csv_rows(const PGresult* res) {
    if (!csv_header_sent_) {
        std::string extra = fmt::format(
            "Cache-Control: no-store\r\nContent-Disposition: attachment; "
            "filename=\"{}-{}.csv\"\r\n",
            report_->name, report_->sections[csv_section_].name);
        request_->write_headers(200, "text/csv; charset=utf-8", extra);
        render::append_csv_header(csv_buffer_, res);
        csv_header_sent_ = true;
        state_ = PageState::Streaming;
    }
    render::append_csv_rows(csv_buffer_, res);
    csv_rows_ += static_cast<std::size_t>(PQntuples(res));
    if (csv_buffer_.size() >= kCsvFlushBytes) {
        request_->write(csv_buffer_);
        csv_buffer_.clear();
        if (!request_->ok()) {
            on_client_gone();
            return;
        }
        // nginx takes output slower than PostgreSQL sends rows: stop reading rows
        // until it caught up, so that the query waits on its socket and memory
        // stays at the output queue's high-water mark (docs/ARCHITECTURE.md,
        // "Output").
        if (request_->congested()) {
            run_.pause_reading();
            request_->on_drained([this] {
                if (state_ == PageState::Streaming) run_.resume_reading();
            });
        }
    }
}

bool PendingPage::on_rows(model::SectionResult& result, std::size_t section,
                          model::PgResultPtr rows) {
    if (output_ == Output::Xlsx) {
        xlsx_->add_rows(rows.get());
        return state_ != PageState::Done;
    }
    if (output_ != Output::Csv) return RunListener::on_rows(result, section, std::move(rows));
    csv_rows(rows.get());
    return state_ != PageState::Done;  // the client may have left mid-stream
}

void PendingPage::on_section_error(const std::string& sqlstate, const std::string& message) {
    if (output_ == Output::Csv) csv_error(sqlstate, message);
}

void PendingPage::csv_error(const std::string& sqlstate, const std::string& message) {
    if (!csv_header_sent_) return;  // answered with an HTTP error status instead
    render::append_csv_error(csv_buffer_, sqlstate, message);
}

void PendingPage::log_access(model::PageStatus status, EndReason reason) const {
    const auto& logger = log::access();
    if (!logger->should_log(spdlog::level::info)) return;  // access_log = "off"
    std::string sections;
    double wait = 0;
    for (auto& r : run_.results()) {
        if (one_section() && &r != &run_.results()[csv_section_]) continue;
        wait += r.wait_ms;
        fmt::format_to(std::back_inserter(sections), "{}{}:{}:{:.1f}ms",
                       sections.empty() ? "" : " ", r.name, model::to_string(r.status),
                       r.elapsed_ms);
    }
    (void)reason;
    logger->info(
        "{} {} report={} status={} total_ms={:.1f} wait_ms={:.1f} sections=[{}]{}{}{}",
        request_->http().method, request_->http().path, report_->name, model::to_string(status),
        since_start(), wait, sections,
        csv_rows_ || xlsx_ ? fmt::format(" rows={}", xlsx_ ? xlsx_->rows() : csv_rows_) : "",
        end_note_.empty() ? "" : " end=", end_note_);
}

}  // namespace asyncpage::page
