#pragma once
// A pending page: one request running one report. Its sections run in a
// run::ReportRun, whose deadline ends the page on time. The page ends in exactly one place,
// finish(), which renders what finished, answers, logs one access line and hands the page to the
// worker for deletion.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fcgi/request.hpp"
#include "model/result.hpp"
#include "page/metrics.hpp"
#include "page/xlsx_export.hpp"
#include "pg/pool.hpp"
#include "reports/params.hpp"
#include "reports/report.hpp"
#include "run/report_run.hpp"

namespace asyncpage::page {

enum class Output {
    Html,    // form + tables
    Json,    // README's "HTTP interface" shape
    Csv,     // one section, streamed in single-row mode
    Xlsx,    // one section, spooled, built off the loop, then sent (page/xlsx_export.hpp)
    Health,  // /healthz: "ok" or 503
};

struct PageEnv {
    loop::EventLoop& loop;
    pg::Pool& pool;
    Metrics& metrics;
    int max_rows = 0;  // the config's max_rows, for reports without their own
};

enum class PageState {
    Running,    // tasks waiting for connections or querying
    Building,   // Excel: rows spooled, the workbook thread runs (build deadline armed)
    Streaming,  // CSV: headers and rows sent; the end is a CSV line, not a status
    Done,       // answered (or the client left); waits for deletion
};

class PendingPage final : public run::RunListener {
  public:
    using OnDone = std::function<void(PendingPage*)>;
    PendingPage(PageEnv env, std::unique_ptr<fcgi::Request> request,
                std::shared_ptr<const reports::Report> report, reports::BoundValues values,
                http::Fields given, Output output, std::size_t csv_section, bool trace,
                OnDone on_done);
    ~PendingPage() override;
    PendingPage(const PendingPage&) = delete;
    PendingPage& operator=(const PendingPage&) = delete;

    void start();
    // The worker is draining: nothing changes, the deadline still bounds the page.
    PageState state() const { return state_; }

  private:
    // run::RunListener
    // Every page reads rows as they come, so that HTML and JSON can stop at
    // max_rows and a CSV export streams (docs/ARCHITECTURE.md, "The life of a page").
    bool single_row() const override { return true; }
    std::size_t max_rows() const override;
    bool pipelined() const override { return !one_section(); }
    // Exports stream (and pause reading): only pages that keep their rows share.
    bool shares_connections() const override {
        return output_ == Output::Html || output_ == Output::Json;
    }
    void on_connection_acquired() override { got_connection_ = true; }
    void on_query_started() override { ++env_.metrics.queries_in_flight; }
    void on_query_stopped() override { --env_.metrics.queries_in_flight; }
    bool on_rows(model::SectionResult& result, std::size_t section,
                 model::PgResultPtr rows) override;
    void on_section_error(const std::string& sqlstate, const std::string& message) override;
    std::string timeout_message() const override;
    void on_deadline(const std::string& message) override;
    void on_finished() override;
    void on_exception(const char* what) override;

    enum class EndReason { Completed, Deadline, ClientLeft };
    void on_client_gone();
    double since_start() const { return run_.since_start(); }
    void finish(EndReason reason);
    model::PageStatus page_status(bool deadline_passed) const;
    void respond(model::PageStatus status);
    std::string cache_control(model::PageStatus status) const;
    void send_body(int code, std::string_view content_type, const std::string& body,
                   const std::string& extra);
    void log_access(model::PageStatus status, EndReason reason) const;

    // CSV and Excel export one section; the others are not run.
    bool one_section() const { return output_ == Output::Csv || output_ == Output::Xlsx; }

    // Excel: the workbook is built once every row is spooled, then sent.
    void start_build();
    void on_built(const std::string& error);
    void on_build_deadline();

    // CSV streaming.
    void csv_rows(const PGresult* res);
    void csv_error(const std::string& sqlstate, const std::string& message);

    PageEnv env_;
    std::unique_ptr<fcgi::Request> request_;
    std::shared_ptr<const reports::Report> report_;
    reports::BoundValues values_;
    http::Fields given_;
    Output output_;
    std::size_t csv_section_;
    bool trace_;
    OnDone on_done_;

    PageState state_ = PageState::Running;
    run::ReportRun run_;
    bool got_connection_ = false;  // some task got a pooled connection
    std::string csv_buffer_;
    bool csv_header_sent_ = false;
    std::size_t csv_rows_ = 0;
    std::unique_ptr<XlsxExport> xlsx_;
    loop::TimerId build_deadline_ = 0;
    int xlsx_error_code_ = 0;  // the answer when the workbook could not be made
    std::string xlsx_error_;
    std::string end_note_;  // why the page ended early, for the access log
    bool ended_ = false;    // on_done_ called: the page is the loop's to free
    bool counted_ = false;  // in metrics.pending
    void uncount();
};

}  // namespace asyncpage::page
