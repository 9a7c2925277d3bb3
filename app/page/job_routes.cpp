// JobRoutes: the job URLs. Every handler holds its request in a Held (so a
// draining worker knows it is pending) and answers from a store callback or, for
// long polls and event streams, from a Watch.
#include "page/job_routes.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "core/barrier.hpp"
#include "core/test_hooks.hpp"
#include "core/text.hpp"
#include "jobs/codec.hpp"
#include "jobs/job.hpp"
#include "page/job_result.hpp"
#include "page/job_watch.hpp"
#include "page/respond.hpp"
#include "render/html.hpp"
#include "render/job_html.hpp"
#include "render/url_base.hpp"
#include "reports/params.hpp"

namespace asyncpage::page {

namespace {
constexpr const char* kNoStore = "Cache-Control: no-store\r\n";
constexpr Millis kHeartbeatEvery{15000};
constexpr int kDefaultWaitSecs = 30;
constexpr int kMaxWaitSecs = 60;  // under nginx's fastcgi_read_timeout for /jobs/

pg::Param owner_of(const http::Request& r) {
    return r.remote_user.empty() ? pg::Param() : pg::Param(r.remote_user);
}

}  // namespace

JobRoutes::JobRoutes(loop::EventLoop& loop, jobs::Store& store, jobs::Hub& hub, pg::Pool& results,
                     FindReport find)
    : loop_(loop), store_(store), hub_(hub), results_(results), find_(std::move(find)) {
    heartbeat_timer_ = loop_.add_timer(kHeartbeatEvery, [this] { heartbeat(); });
}

JobRoutes::~JobRoutes() {
    loop_.cancel_timer(heartbeat_timer_);
    // Not inside a callback: the watches are freed here, not by the loop.
    auto all = std::move(watchers_);
    watchers_.clear();
    for (auto& [w, owned] : all)
        w->end();
    auto streams = std::move(result_streams_);
    result_streams_.clear();
    for (auto& [r, owned] : streams)
        r->stop();
}

void JobRoutes::watch(std::unique_ptr<Watch> w, Millis timeout) {
    Watch* raw = w.get();
    watchers_.emplace(raw, std::move(w));
    raw->start(timeout);
}

void JobRoutes::end_watch(Watch* w) {
    // Ended from inside its own callbacks (or the hub's delivery): freed after
    // this loop pass.
    auto it = watchers_.find(w);
    if (it == watchers_.end()) return;  // ~JobRoutes owns it
    loop_.close_later(std::move(it->second));
    watchers_.erase(it);
}

std::size_t JobRoutes::long_polls() const {
    std::size_t n = 0;
    for (auto& [w, owned] : watchers_)
        n += w->kind() == Watch::Kind::LongPoll;
    return n;
}

std::size_t JobRoutes::streams() const {
    return watchers_.size() - long_polls();
}

void JobRoutes::heartbeat() {
    heartbeat_timer_ = loop_.add_timer(kHeartbeatEvery, [this] { heartbeat(); });
    std::vector<Watch*> all;
    for (auto& [w, owned] : watchers_)
        all.push_back(w);
    for (Watch* w : all)
        w->heartbeat();
}

void JobRoutes::drain() {
    draining_ = true;
    std::vector<Watch*> all;
    for (auto& [w, owned] : watchers_)
        all.push_back(w);
    for (Watch* w : all)
        w->drain();
}

void JobRoutes::resync() {
    for (auto& [w, owned] : watchers_)
        w->refresh();
}

JobRoutes::HeldPtr JobRoutes::hold(std::unique_ptr<fcgi::Request> request, http::Format format) {
    return std::make_shared<Held>(*this, std::move(request), format);
}

template <class F>
auto JobRoutes::guarded(const HeldPtr& held, const char* step, F f) {
    return [this, held, step, f = std::move(f)](auto&&... args) mutable {
        barrier(
            [&] {
                test_hooks::maybe_throw("jobs", step);
                f(std::forward<decltype(args)>(args)...);
            },
            [&](const char* what) { on_exception(held, step, what); });
    };
}

void JobRoutes::on_exception(const HeldPtr& held, const char* step, const char* what) {
    const http::Request& h = held->request->http();
    spdlog::error("job request {} {} failed with an exception (in {}): {}", h.method, h.path, step,
                  what);
    if (held->request->finished()) return;
    if (held->request->output_started()) {
        held->request->finish();  // the client sees the answer end early
        return;
    }
    fail(held, 500, "internal error: the request failed; the server goes on");
}

void JobRoutes::fail(const HeldPtr& held, int status, std::string_view message,
                     std::string_view extra) {
    respond_error(*held->request, held->format, status, message, {}, extra);
}

void JobRoutes::db_error(const HeldPtr& held, const pg::Outcome& o, const char* what) {
    if (jobs::schema_missing(o)) {
        spdlog::error("jobs: the asyncpage schema is missing: run `asyncpage migrate`");
        fail(held, 503,
             "background jobs are not set up: the asyncpage schema is missing "
             "(run asyncpage migrate)",
             "Retry-After: 5\r\n");
        return;
    }
    spdlog::warn("jobs: {} failed: {} (SQLSTATE {})", what, o.message, o.sqlstate);
    fail(held, 503, fmt::format("could not {}: database unavailable ({})", what, o.sqlstate),
         "Retry-After: 1\r\n");
}

void JobRoutes::create(std::unique_ptr<fcgi::Request> request,
                       std::shared_ptr<const reports::Report> report, http::Fields query,
                       http::Format format) {
    const http::Request& http = request->http();
    if (http.method != "POST") {
        respond_error(*request, format, 405,
                      "method " + http.method + " not allowed: POST creates a job", {},
                      "Allow: POST\r\n");
        return;
    }
    if (request->body_unread()) {
        respond_error(*request, format, 413,
                      "request body too large to read: form posts up to 63 KB are accepted", {},
                      {});
        return;
    }
    // Only a browser form post (Accept prefers text/html) is redirected; curl's
    // "*/*" and API clients get 202 with the job JSON (README, "Background jobs").
    if (format == http::Format::Html && !http::find_field(query, "format") &&
        http.accept.find("text/html") == std::string::npos &&
        http.accept.find("application/xhtml+xml") == std::string::npos) {
        format = http::Format::Json;
    }
    http::Fields fields = std::move(query);
    if (!http.body.empty()) {
        // Form posts (application/x-www-form-urlencoded, the browser default); the
        // query string may carry params too.
        auto ct = http.content_type.substr(0, http.content_type.find(';'));
        if (ct != "application/x-www-form-urlencoded" && !ct.empty()) {
            respond_error(
                *request, format, 415,
                "unsupported request body type " + ct +
                    ": send params as application/x-www-form-urlencoded or in the query string",
                {}, {});
            return;
        }
        for (auto& f : http::decode_urlencoded(http.body))
            fields.push_back(std::move(f));
    }
    auto validated = reports::validate_params(*report, fields);
    if (auto* perr = std::get_if<reports::ParamError>(&validated)) {
        if (format == http::Format::Html) {
            request->respond(400, "text/html; charset=utf-8",
                             render::html_report(*report, fields, nullptr, perr, false), kNoStore);
        } else {
            respond_error(*request, format, 400, perr->message, perr->param, {});
        }
        return;
    }
    // Stored as given (first value of each declared param): validated again when
    // the job runs, against the report file of that moment.
    auto held = hold(std::move(request), format);
    const http::Request& h = held->request->http();
    // Whose queue this job counts against (README, "Security"): the verified user,
    // else the client's address (behind a proxy that is the proxy's, unless nginx's
    // realip module restores it).
    std::string quota_key =
        h.remote_user.empty() ? "addr:" + h.remote_addr : "user:" + h.remote_user;
    store_.create(
        report->name, jobs::encode_params(*report, fields), owner_of(h), quota_key, max_queued_,
        1 + (report->retries >= 0 ? report->retries : retries_),
        guarded(held, "create",
                [this, held, quota_key](pg::Outcome& o, const jobs::CreatedJob& job) {
                    if (!o.ok) {
                        db_error(held, o, "create the job");
                        return;
                    }
                    if (job.over_quota) {
                        spdlog::warn("refused a job for {}: {} jobs already queued", quota_key,
                                     max_queued_);
                        fail(held, 429,
                             fmt::format("too many queued jobs: {} of yours are waiting to run "
                                         "(job_max_queued); retry once some have started",
                                         max_queued_),
                             "Retry-After: 30\r\n");
                        return;
                    }
                    ++counters_.created;
                    // Under the prefix the site is mounted at (README, "Mounting
                    // under a prefix").
                    std::string url = held->request->http().base + "/jobs/" + job.id;
                    std::string location = "Location: " + url + "\r\n" + kNoStore;
                    if (held->format == http::Format::Html) {
                        held->request->respond(303, "text/plain; charset=utf-8",
                                               "job created: " + url + "\n", location);
                    } else {
                        held->request->respond(202, "application/json", job.json, location);
                    }
                }));
}

void JobRoutes::handle(std::unique_ptr<fcgi::Request> request, const std::string& rest,
                       http::Fields query, http::Format format) {
    auto slash = rest.find('/');
    std::string id = rest.substr(0, slash);
    std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
    const std::string& method = request->http().method;
    if (!jobs::is_job_id(id)) {
        respond_error(*request, format, 404, "no such job: not a job id", {}, {});
        return;
    }
    // As for a report page: ?format=xml is a 400 (in HTML, which negotiate_format
    // picked), never an answer in some other format.
    // Excel is for a report page's or a job result's section (README, "Background jobs").
    if (!http::is_known_format(query) || (format == http::Format::Xlsx && action != "result")) {
        respond_error(*request, format, 400,
                      action == "result"
                          ? "format: must be html, json, csv or xlsx"
                          : "format: must be html, json or csv (xlsx is for /result)",
                      "format", {});
        return;
    }
    id = text::lower(id);
    bool get = method == "GET" || method == "HEAD";
    auto allow = [&](const char* methods) {
        respond_error(*request, format, 405,
                      "method " + method + " not allowed here: use " + methods, {},
                      std::string("Allow: ") + methods + "\r\n");
    };
    if (action.empty()) {
        if (method == "DELETE") {
            cancel(hold(std::move(request), format), id);
        } else if (get) {
            show(hold(std::move(request), format), id);
        } else {
            allow("GET, HEAD, DELETE");
        }
    } else if (action == "cancel") {
        if (method != "POST") return allow("POST");
        cancel(hold(std::move(request), format), id);
    } else if (action == "wait" || action == "events" || action == "result") {
        if (!get) return allow("GET, HEAD");
        if (action == "wait") {
            wait(hold(std::move(request), format), id, query);
        } else if (action == "events") {
            events(hold(std::move(request), format), id);
        } else {
            result(hold(std::move(request), format), id, query);
        }
    } else {
        respond_error(*request, format, 404, "not found: /jobs/" + rest, {}, {});
    }
}

void JobRoutes::read_job(const HeldPtr& held, const std::string& id,
                         std::function<void(const jobs::StoredJob& job)> found,
                         std::function<void()> answered) {
    store_.read(id, owner_of(held->request->http()),
                guarded(held, "read",
                        [this, held, id, found = std::move(found), answered = std::move(answered)](
                            pg::Outcome& o, const std::optional<jobs::StoredJob>& job) {
                            if (held->request->finished()) return;
                            if (!o.ok) {
                                db_error(held, o, "read the job");
                            } else if (!job) {
                                // Unknown, deleted after job_retention, or another user's.
                                fail(held, 404, "no such job: " + id);
                            } else {
                                found(*job);
                                return;
                            }
                            if (answered) answered();
                        }));
}

void JobRoutes::show(const HeldPtr& held, const std::string& id) {
    read_job(held, id, [this, held, id](const jobs::StoredJob& job) {
        if (held->format != http::Format::Html) {
            held->request->respond(200, "application/json", job.json, kNoStore);
            return;
        }
        auto view = std::make_shared<model::JobView>(jobs::decode_job_view(job.json, job.params));
        auto report = find_(view->report);
        if (view->state != "succeeded" && view->state != "failed") {
            render::UrlBase base(held->request->http().base);
            held->request->respond(200, "text/html; charset=utf-8",
                                   render::html_job(report.get(), *view, nullptr), kNoStore);
            return;
        }
        load_result(held, id, [held, view, report](model::PageResult& page, bool any) {
            render::UrlBase base(held->request->http().base);
            held->request->respond(200, "text/html; charset=utf-8",
                                   render::html_job(report.get(), *view, any ? &page : nullptr),
                                   kNoStore);
        });
    });
}

void JobRoutes::wait(const HeldPtr& held, const std::string& id, const http::Fields& query) {
    long long since = 0, secs = kDefaultWaitSecs;
    if (const std::string* s = http::find_field(query, "since"); s && !text::parse_int(*s, since)) {
        respond_error(*held->request, held->format, 400,
                      "since: must be an integer (a job version)", "since", {});
        return;
    }
    if (const std::string* t = http::find_field(query, "timeout");
        t && (!text::parse_int(*t, secs) || secs < 0)) {
        respond_error(*held->request, held->format, 400,
                      "timeout: must be a whole number of seconds", "timeout", {});
        return;
    }
    secs = std::min<long long>(secs, kMaxWaitSecs);
    if (draining_) {
        // A draining worker answers at once; the client polls again elsewhere.
        read_job(held, id, [held](const jobs::StoredJob& job) {
            held->request->respond(200, "application/json", job.json, kNoStore);
        });
        return;
    }
    watch(std::make_unique<Watch>(*this, held, id, Watch::Kind::LongPoll, since),
          Millis(secs * 1000));
}

void JobRoutes::events(const HeldPtr& held, const std::string& id) {
    if (draining_) {
        fail(held, 503, "server restarting; reconnect", "Retry-After: 1\r\n");
        return;
    }
    // The job is read before the stream starts, so an unknown job is a plain 404.
    read_job(held, id, [this, held, id](const jobs::StoredJob&) {
        watch(std::make_unique<Watch>(*this, held, id, Watch::Kind::Stream, 0), Millis(0));
    });
}

void JobRoutes::load_result(const HeldPtr& held, const std::string& id,
                            std::function<void(model::PageResult& page, bool any)> done) {
    store_.read_result_head(
        id, html_rows_,
        guarded(held, "result",
                [this, held, done](pg::Outcome& o, std::vector<model::SectionResult>& sections) {
                    if (held->request->finished()) return;
                    if (!o.ok) {
                        db_error(held, o, "read the job's result");
                        return;
                    }
                    for (auto& s : sections) {
                        if (s.status == model::SectionStatus::Ok &&
                            s.table.rows() >= static_cast<std::size_t>(html_rows_))
                            s.message = fmt::format(
                                "Showing the first {} rows; the whole section is in its CSV.",
                                html_rows_);
                    }
                    bool any = !sections.empty();
                    auto page = jobs::assemble_page(std::move(sections));
                    done(page, any);
                }));
}

void JobRoutes::result(const HeldPtr& held, const std::string& id, const http::Fields& query) {
    http::Fields q = query;
    read_job(held, id, [this, held, id, q](const jobs::StoredJob& job) {
        auto view = std::make_shared<model::JobView>(jobs::decode_job_view(job.json, job.params));
        if (!jobs::is_final_state(view->state)) {
            fail(held, 409,
                 "job " + id + " is " + view->state + ": its result is there once it has finished");
            return;
        }
        auto no_result = [this, held, id, view] {
            fail(held, 404,
                 "job " + id + " has no result: it was " + view->state + " before it ran");
        };
        if (held->format == http::Format::Html) {
            load_result(held, id,
                        [this, held, q, view, no_result](model::PageResult& page, bool any) {
                            if (!any) return no_result();
                            auto report = find_(view->report);
                            page.report = view->report;
                            respond_job_result_html(*held->request, report.get(), *view, page, q);
                        });
            return;
        }
        store_.read_sections(
            id,
            guarded(held, "sections",
                    [this, held, q, view, no_result](pg::Outcome& o,
                                                     std::vector<jobs::StoredSectionHead>& heads) {
                        if (held->request->finished()) return;
                        if (!o.ok) return db_error(held, o, "read the job's result");
                        if (heads.empty()) return no_result();
                        std::optional<std::size_t> section;
                        if (held->format == http::Format::Csv ||
                            held->format == http::Format::Xlsx) {
                            section = pick_export_section(*held->request, held->format, heads, q);
                            if (!section) return;
                        }
                        // Each export holds a spool file and, while it builds, a
                        // thread: a worker runs a few at once (as for pages).
                        if (held->format == http::Format::Xlsx &&
                            XlsxExport::active() >= XlsxExport::kMaxActive)
                            return fail(
                                held, 503,
                                "too many Excel exports in progress on this worker; retry shortly",
                                "Retry-After: 1\r\n");
                        stream_result(held, *view, std::move(heads), section);
                    }));
    });
}

void JobRoutes::stream_result(const HeldPtr& held, const model::JobView& job,
                              std::vector<jobs::StoredSectionHead> heads,
                              std::optional<std::size_t> section) {
    auto owned = std::make_unique<JobResultStream>(loop_, *held->request, held, results_, job,
                                                   std::move(heads), held->format, section);
    JobResultStream* raw = owned.get();
    result_streams_.emplace(raw, std::move(owned));
    raw->set_done([this, raw] {
        // Ended from its own callbacks: freed after this loop pass.
        auto it = result_streams_.find(raw);
        if (it == result_streams_.end()) return;  // ~JobRoutes owns it
        loop_.close_later(std::move(it->second));
        result_streams_.erase(it);
    });
    raw->start();
}

void JobRoutes::cancel(const HeldPtr& held, const std::string& id) {
    ++counters_.cancel_requests;
    store_.cancel(
        id, owner_of(held->request->http()),
        guarded(
            held, "cancel",
            [this, held, id](pg::Outcome& o, const std::optional<jobs::CancelledJob>& job) {
                if (!o.ok) {
                    db_error(held, o, "cancel the job");
                    return;
                }
                if (!job) {
                    fail(held, 404, "no such job: " + id);
                    return;
                }
                // Only a form (POST …/cancel) is sent back to the wait screen: a
                // DELETE never comes from one, and a client sending it with
                // curl's `Accept: */*` wants the job JSON, not a redirect.
                if (held->format == http::Format::Html && held->request->http().method == "POST") {
                    std::string url = held->request->http().base + "/jobs/" + id;
                    held->request->respond(303, "text/plain; charset=utf-8", "see " + url + "\n",
                                           "Location: " + url + "\r\n" + kNoStore);
                    return;
                }
                if (!job->changed) {
                    auto ev = jobs::parse_job_event(job->json);
                    fail(held, 409,
                         "job " + id + " already " + (ev ? ev->state : "finished") +
                             ": nothing to cancel");
                    return;
                }
                held->request->respond(200, "application/json", job->json, kNoStore);
            }));
}

}  // namespace asyncpage::page
