#pragma once
// Routes a worker's requests (README, "HTTP interface"): answers the cheap ones at once (index,
// metrics, errors) and starts a PendingPage for report pages and /healthz. Owns
// the pending pages; a finished page is handed to loop.close_later.
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "fcgi/request.hpp"
#include "jobs/runner.hpp"
#include "page/job_routes.hpp"
#include "page/metrics.hpp"
#include "page/metrics_board.hpp"
#include "page/pending_page.hpp"
#include "reports/report.hpp"

namespace asyncpage::page {

// The report files a worker serves; shared so a page keeps its report alive.
struct Catalog {
    std::map<std::string, std::shared_ptr<const reports::Report>> reports;
    std::vector<std::string> broken;  // names of report files that failed to load
};
Catalog make_catalog(reports::ReportSet set);

class Router {
  public:
    // `jobs` and `runner` may be null (then job URLs answer 503).
    Router(loop::EventLoop& loop, pg::Pool& pool, Metrics& metrics,
           std::shared_ptr<const Catalog> catalog, const config::Config& config,
           JobRoutes* jobs = nullptr, const jobs::Runner* runner = nullptr,
           const jobs::Hub* hub = nullptr);
    ~Router();

    void handle(std::unique_ptr<fcgi::Request> request);
    std::size_t pending() const { return pages_.size() + (jobs_ ? jobs_->pending() : 0); }

    // The serve's shared figures (page/metrics_board.hpp): /metrics sums them, and
    // this worker publishes its own into `slot` (worker number `index`).
    void set_metrics_board(MetricsBoard* board, int slot, int index) {
        board_ = board;
        board_slot_ = slot;
        board_slot_index_ = index;
    }
    Figures figures() const;
    void publish_metrics();

  private:
    // handle()'s body. `request` stays here until a handler takes it, so that the
    // barrier in handle() can still answer it.
    void route(std::unique_ptr<fcgi::Request>& request);
    void report_page(std::unique_ptr<fcgi::Request> request, const std::string& name,
                     http::Fields fields, http::Format format);
    void health(std::unique_ptr<fcgi::Request> request);
    void metrics_page(fcgi::Request& request, const http::Fields& query, http::Format format);
    void start_page(std::unique_ptr<PendingPage> page);
    PendingPage::OnDone forget_page();
    void error(fcgi::Request& request, http::Format format, int status, std::string_view message,
               std::string_view param = {}, std::string_view extra_headers = {});

    loop::EventLoop& loop_;
    pg::Pool& pool_;
    Metrics& metrics_;
    std::shared_ptr<const Catalog> catalog_;
    const config::Config& config_;
    std::shared_ptr<const reports::Report> health_report_;
    std::unordered_map<PendingPage*, std::unique_ptr<PendingPage>> pages_;
    JobRoutes* jobs_;
    const jobs::Runner* runner_;
    const jobs::Hub* hub_;
    MetricsBoard* board_ = nullptr;
    int board_slot_ = -1;
    int board_slot_index_ = 0;
};

}  // namespace asyncpage::page
