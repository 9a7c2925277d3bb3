// Request routing for one worker: URL → handler, method and size checks, the
// max_pending limit, parameter validation, and ownership of pending pages.
#include "page/router.hpp"

#include <spdlog/spdlog.h>

#include <climits>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/barrier.hpp"
#include "core/text.hpp"
#include "http/security.hpp"
#include "log/log.hpp"
#include "page/respond.hpp"
#include "render/assets.hpp"
#include "render/html.hpp"
#include "render/json.hpp"
#include "render/url_base.hpp"
#include "reports/params.hpp"

namespace asyncpage::page {

namespace {
constexpr std::string_view kReportsPrefix = "/reports/";
constexpr const char* kNoStore = "Cache-Control: no-store\r\n";

bool is_get(const http::Request& r) {
    return r.method == "GET" || r.method == "HEAD";
}

std::string section_names(const reports::Report& report) {
    std::string out;
    for (auto& s : report.sections)
        out += (out.empty() ? "" : ", ") + s.name;
    return out;
}
}  // namespace

Catalog make_catalog(reports::ReportSet set) {
    Catalog c;
    for (auto& [name, report] : set.reports) {
        c.reports.emplace(name, std::make_shared<const reports::Report>(std::move(report)));
    }
    // Only the names reach the index: its readers need not see server paths or
    // SQL; the error log has the details (README, "Troubleshooting").
    for (auto& e : set.errors) {
        std::filesystem::path file(e.file);
        if (file.extension() == ".sql") c.broken.push_back(file.stem().string());
    }
    return c;
}

Router::Router(loop::EventLoop& loop, pg::Pool& pool, Metrics& metrics,
               std::shared_ptr<const Catalog> catalog, const config::Config& config,
               JobRoutes* jobs, const jobs::Runner* runner, const jobs::Hub* hub)
    : loop_(loop),
      pool_(pool),
      metrics_(metrics),
      catalog_(std::move(catalog)),
      config_(config),
      jobs_(jobs),
      runner_(runner),
      hub_(hub) {
    // /healthz runs a real query through the pool, so "ok" means this worker can
    // get a connection and a result from PostgreSQL right now.
    auto h = std::make_shared<reports::Report>();
    h->name = "healthz";
    h->title = "health check";
    h->timeout = Millis(2000);
    h->sections.push_back(reports::Section{"ping", "SELECT 1", {}, 0, {}});
    health_report_ = h;
}

Router::~Router() = default;

Figures Router::figures() const {
    Figures f;
    auto& g = f.gauges;
    auto& c = f.counters;
    const pg::PoolStats pool = pool_.stats();
    g.workers = 1;
    g.pending = metrics_.pending;
    g.queries_in_flight = metrics_.queries_in_flight;
    g.pool_idle = static_cast<std::uint64_t>(pool.idle);
    g.pool_busy = static_cast<std::uint64_t>(pool.busy);
    g.pool_connecting = static_cast<std::uint64_t>(pool.connecting);
    g.pool_cancelling = static_cast<std::uint64_t>(pool.cancelling);
    g.pool_shared = static_cast<std::uint64_t>(pool.shared);
    g.pool_size = static_cast<std::uint64_t>(pool_.size());
    g.pool_waiting = static_cast<std::uint64_t>(pool.waiting);
    c.pages_by_status = metrics_.pages_by_status;
    c.timeouts = metrics_.timeouts;
    c.client_aborts = metrics_.client_aborts;
    c.rejected = metrics_.rejected;
    c.fastcgi_requests = metrics_.fastcgi_requests;
    c.fastcgi_connections = metrics_.fastcgi_connections;
    c.cancels = pool.cancels;
    c.shared_statements = pool.shared_statements;
    c.shared_requeues = pool.shared_requeues;
    c.pg_connects = pool.connects;
    c.pg_broken = pool.broken;
    c.latency_buckets = metrics_.latency_buckets;
    c.latency_count = metrics_.latency_count;
    c.latency_sum = metrics_.latency_sum;
    if (jobs_) {
        g.long_polls = jobs_->long_polls();
        g.streams = jobs_->streams();
        c.jobs_created = jobs_->counters().created;
    }
    if (runner_) {
        const auto& st = runner_->stats();
        g.jobs_running = runner_->running();
        c.jobs_claimed = st.claimed;
        c.jobs_succeeded = st.succeeded;
        c.jobs_failed = st.failed;
        c.jobs_cancelled = st.cancelled;
        c.jobs_requeued = st.requeued;
        c.progress_notices = st.progress_notices;
        c.progress_writes = st.progress_writes;
        c.job_retries = st.retries;
        c.lease_expiries = st.lease_expiries;
        c.leases_lost = st.leases_lost;
    }
    g.listening = hub_ && hub_->listening() ? 1 : 0;
    return f;
}

void Router::publish_metrics() {
    if (board_) board_->publish(board_slot_, figures());
}

// The whole serve's figures by default: a scrape may reach any worker, and each
// must show the same, ever-growing counters (docs/ARCHITECTURE.md, "Metrics").
// ?worker=N shows worker N alone.
void Router::metrics_page(fcgi::Request& request, const http::Fields& query, http::Format format) {
    constexpr const char* kType = "text/plain; version=0.0.4; charset=utf-8";
    publish_metrics();
    if (const std::string* w = http::find_field(query, "worker")) {
        long long number = -1;
        if (!text::parse_int(*w, number) || number < 0 || number > INT_MAX) {
            error(request, format, 400, "worker must be a worker number (0, 1, ...)", "worker");
            return;
        }
        const int n = static_cast<int>(number);
        std::optional<Figures> f = board_ ? board_->worker(n) : std::nullopt;
        if (!board_ && n == board_slot_index_) f = figures();
        if (!f) {
            error(request, format, 404, fmt::format("no running worker number {}", n), "worker");
            return;
        }
        request.respond(200, kType, render_metrics(*f, fmt::format("worker {}", n)), kNoStore);
        return;
    }
    Figures f = board_ ? board_->total() : figures();
    request.respond(200, kType,
                    render_metrics(f, board_ ? "every worker of this server" : "this worker"),
                    kNoStore);
}

void Router::error(fcgi::Request& request, http::Format format, int status,
                   std::string_view message, std::string_view param,
                   std::string_view extra_headers) {
    respond_error(request, format, status, message, param, extra_headers);
}

// The barrier (core/barrier.hpp) for a request that no page or job route has
// taken yet: routing, params, the answers given here. Once taken, the page's or
// the watch's own barrier answers for it.
void Router::handle(std::unique_ptr<fcgi::Request> request) {
    barrier([&] { route(request); },
            [&](const char* what) {
                if (!request) {
                    spdlog::error("request failed with an exception after it was handed on: {}",
                                  what);
                    return;
                }
                spdlog::error("request {} {} failed with an exception: {}", request->http().method,
                              request->http().path, what);
                if (!request->finished()) {
                    request->respond(500, "text/plain; charset=utf-8",
                                     "internal error: see the server log\n",
                                     "Cache-Control: no-store\r\n");
                }
            });
}

void Router::route(std::unique_ptr<fcgi::Request>& request) {
    const http::Request& http = request->http();
    // Pages rendered while handling this request link under its prefix.
    render::UrlBase base(http.base);
    auto query = http::decode_urlencoded(http.query);
    auto format = http::negotiate_format(query, http.accept);

    if (request->body_too_large()) {
        error(*request, format, 413,
              fmt::format("request body of {} bytes is larger than max_body ({} bytes)",
                          http.content_length, config_.max_body));
        return;
    }
    // Before anything can change: a form on another site must not create or cancel
    // jobs with the visitor's credentials (README, "Security").
    if (std::string why = http::cross_origin_refusal(http); !why.empty()) {
        spdlog::warn("refused a cross-origin {} {}: {}", http.method, http.path, why);
        error(*request, format, 403,
              "cross-origin request refused: " + http.method +
                  " must come from this site's own pages (" + why + ")");
        return;
    }
    if (pending() >= static_cast<std::size_t>(config_.max_pending)) {
        ++metrics_.rejected;
        error(*request, format, 503,
              fmt::format("server busy: {} requests pending in this worker; retry shortly",
                          pending()),
              {}, "Retry-After: 1\r\n");
        return;
    }

    const std::string& path = http.path;
    if (path == "/healthz") {
        health(std::move(request));
    } else if (path == "/metrics") {
        metrics_page(*request, query, format);
    } else if (path == "/" || path == "/index.html") {
        if (!is_get(http)) {
            error(*request, format, 405, "method not allowed: use GET", {}, "Allow: GET, HEAD\r\n");
            return;
        }
        std::vector<const reports::Report*> list;
        for (auto& [name, r] : catalog_->reports)
            list.push_back(r.get());
        if (format == http::Format::Json) {
            nlohmann::json j = nlohmann::json::array();
            for (auto* r : list) {
                j.push_back({{"name", r->name},
                             {"title", r->title},
                             {"description", r->description},
                             {"url", http.base + "/reports/" + r->name}});
            }
            request->respond(200, "application/json", nlohmann::json{{"reports", j}}.dump(),
                             kNoStore);
        } else {
            request->respond(200, "text/html; charset=utf-8",
                             render::html_index(list, catalog_->broken), kNoStore);
        }
    } else if (path.rfind(kReportsPrefix, 0) == 0) {
        std::string rest = path.substr(kReportsPrefix.size());
        auto slash = rest.find('/');
        if (slash != std::string::npos && rest.substr(slash) == "/jobs") {
            auto it = catalog_->reports.find(rest.substr(0, slash));
            if (it == catalog_->reports.end()) {
                error(*request, format, 404, "no such report: " + rest.substr(0, slash));
            } else if (!jobs_) {
                error(*request, format, 503, "background jobs are not available in this worker");
            } else {
                jobs_->create(std::move(request), it->second, std::move(query), format);
            }
            return;
        }
        report_page(std::move(request), rest, std::move(query), format);
    } else if (path.rfind("/assets/", 0) == 0) {
        const render::Asset* asset = render::find_asset(path);
        if (!asset) {
            error(*request, format, 404, "not found: " + path);
        } else if (!is_get(http)) {
            error(*request, format, 405, "method not allowed: use GET", {}, "Allow: GET, HEAD\r\n");
        } else {
            request->respond(200, asset->content_type, asset->body, render::kAssetHeaders);
        }
    } else if (path.rfind("/jobs/", 0) == 0) {
        if (!jobs_) {
            error(*request, format, 503, "background jobs are not available in this worker");
            return;
        }
        jobs_->handle(std::move(request), path.substr(6), std::move(query), format);
    } else {
        error(*request, format, 404, "not found: " + path);
    }
}

void Router::report_page(std::unique_ptr<fcgi::Request> request, const std::string& name,
                         http::Fields fields, http::Format format) {
    const http::Request& http = request->http();
    auto it = catalog_->reports.find(name);
    if (it == catalog_->reports.end()) {
        error(*request, format, 404, "no such report: " + name);
        return;
    }
    if (!is_get(http)) {
        error(*request, format, 405,
              "method " + http.method + " not allowed on a report page: use GET", {},
              "Allow: GET, HEAD\r\n");
        return;
    }
    // The same test as negotiate_format's (ASCII case-insensitive), so that
    // ?format=CSV is a CSV export here as it is for a job's result.
    if (!http::is_known_format(fields)) {
        error(*request, format, 400, "format: must be html, json, csv or xlsx", "format");
        return;
    }
    const auto& report = it->second;
    if (report->job) {
        // Job reports only run in the background (README, "Background jobs"): the page is the form,
        // which posts to /reports/NAME/jobs.
        if (format == http::Format::Html) {
            request->respond(200, "text/html; charset=utf-8",
                             render::html_report(*report, fields, nullptr, nullptr, false),
                             kNoStore);
        } else {
            error(*request, format, 400,
                  "report " + name + " runs as a background job: POST /reports/" + name +
                      "/jobs to start it");
        }
        return;
    }
    Output output = format == http::Format::Json   ? Output::Json
                    : format == http::Format::Csv  ? Output::Csv
                    : format == http::Format::Xlsx ? Output::Xlsx
                                                   : Output::Html;
    const std::string* run = http::find_field(fields, "run");
    if (output == Output::Html && !reports::mentions_any_param(*report, fields) &&
        !(run && *run == "1")) {
        request->respond(200, "text/html; charset=utf-8",
                         render::html_report(*report, fields, nullptr, nullptr, false), kNoStore);
        return;
    }
    auto validated = reports::validate_params(*report, fields);
    if (auto* perr = std::get_if<reports::ParamError>(&validated)) {
        if (output == Output::Html) {
            request->respond(400, "text/html; charset=utf-8",
                             render::html_report(*report, fields, nullptr, perr, false), kNoStore);
        } else {
            error(*request, format, 400, perr->message, perr->param);
        }
        return;
    }
    std::size_t csv_section = 0;
    if (output == Output::Csv || output == Output::Xlsx) {
        const std::string* s = http::find_field(fields, "section");
        if (!s && report->sections.size() != 1) {
            error(*request, format, 400,
                  std::string("section: required for ") +
                      (output == Output::Csv ? "CSV" : "Excel") +
                      ", one of: " + section_names(*report),
                  "section");
            return;
        }
        if (s) {
            auto& secs = report->sections;
            auto found =
                std::find_if(secs.begin(), secs.end(), [&](auto& x) { return x.name == *s; });
            if (found == secs.end()) {
                error(*request, format, 400,
                      "section: no section '" + *s +
                          "' in this report; one of: " + section_names(*report),
                      "section");
                return;
            }
            csv_section = static_cast<std::size_t>(found - secs.begin());
        }
    }
    // Each Excel export holds a spool file and, while its workbook is made, a
    // thread: a worker runs XlsxExport::kMaxActive at once (README, "HTTP interface").
    if (output == Output::Xlsx && XlsxExport::active() >= XlsxExport::kMaxActive) {
        error(*request, format, 503,
              "too many Excel exports in progress on this worker; retry shortly", {},
              "Retry-After: 5\r\n");
        return;
    }
    const std::string* trace = http::find_field(fields, "trace");
    bool traced = config_.debug && trace && *trace == "1";
    auto values = std::get<reports::BoundValues>(std::move(validated));
    start_page(std::make_unique<PendingPage>(
        PageEnv{loop_, pool_, metrics_, config_.max_rows}, std::move(request), report,
        std::move(values), std::move(fields), output, csv_section, traced, forget_page()));
}

void Router::health(std::unique_ptr<fcgi::Request> request) {
    start_page(std::make_unique<PendingPage>(PageEnv{loop_, pool_, metrics_}, std::move(request),
                                             health_report_, reports::BoundValues{}, http::Fields{},
                                             Output::Health, 0, false, forget_page()));
}

PendingPage::OnDone Router::forget_page() {
    // finish() runs inside the page's own callbacks: the loop frees it after this pass.
    return [this](PendingPage* p) {
        auto it = pages_.find(p);
        if (it == pages_.end()) return;
        loop_.close_later(std::move(it->second));
        pages_.erase(it);
    };
}

void Router::start_page(std::unique_ptr<PendingPage> page) {
    PendingPage* raw = page.get();
    pages_.emplace(raw, std::move(page));
    raw->start();
}

}  // namespace asyncpage::page
