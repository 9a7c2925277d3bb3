// JobRoutes: the job URLs. Every handler holds its request in a Held (so a
// draining worker knows it is pending) and answers from a statement's callback or,
// for long polls and event streams, from a hub watcher.
#include "page/job_routes.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "jobs/job.hpp"
#include "page/respond.hpp"
#include "render/csv.hpp"
#include "render/html.hpp"
#include "render/job_html.hpp"
#include "render/json.hpp"
#include "reports/params.hpp"

namespace asyncpage::page {

namespace {
constexpr const char* kNoStore = "Cache-Control: no-store\r\n";
constexpr Millis kHeartbeatEvery{15000};
constexpr int kDefaultWaitSecs = 30;
constexpr int kMaxWaitSecs = 60;  // under nginx's fastcgi_read_timeout for /jobs/

constexpr const char* kCreateSql = R"sql(
INSERT INTO asyncpage.jobs (report, params, owner) VALUES ($1, $2::jsonb, $3)
RETURNING id::text, asyncpage.job_json(jobs)::text)sql";

constexpr const char* kReadSql = R"sql(
SELECT asyncpage.job_json(j)::text, j.params::text FROM asyncpage.jobs j
WHERE j.id = $1::uuid AND (j.owner IS NULL OR j.owner = $2))sql";

// Cancels a queued or running job; for a finished one, returns it unchanged. The
// runner hears the change through the notification and cancels the query.
constexpr const char* kCancelSql = R"sql(
WITH c AS (
  UPDATE asyncpage.jobs j SET state = 'cancelled', finished_at = now()
  WHERE j.id = $1::uuid AND (j.owner IS NULL OR j.owner = $2) AND j.state IN ('queued', 'running')
  RETURNING asyncpage.job_json(j)::text AS json)
SELECT json, true FROM c
UNION ALL
SELECT asyncpage.job_json(j)::text, false FROM asyncpage.jobs j
WHERE j.id = $1::uuid AND (j.owner IS NULL OR j.owner = $2) AND NOT EXISTS (SELECT 1 FROM c))sql";

constexpr const char* kResultSql = R"sql(
SELECT name, status, elapsed_ms, columns::text, rows::text, error_sqlstate, message
FROM asyncpage.job_results WHERE job_id = $1::uuid ORDER BY position)sql";

pg::Param owner_of(const http::Request& r) {
    return r.remote_user.empty() ? pg::Param() : pg::Param(r.remote_user);
}

model::JobView job_view(const std::string& json, const std::string& params) {
    model::JobView v;
    v.json = json;
    auto j = nlohmann::json::parse(json, nullptr, false);
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
        if (auto it = j.find("error"); it != j.end() && it->is_object()) {
            v.error_sqlstate = it->value("sqlstate", "");
            v.error_message = it->value("message", "");
        }
    }
    auto p = nlohmann::json::parse(params, nullptr, false);
    if (p.is_object()) {
        for (auto& [k, val] : p.items())
            if (val.is_string()) v.params.emplace_back(k, val.get<std::string>());
    }
    return v;
}

model::SectionStatus section_status(const std::string& s) {
    if (s == "ok") return model::SectionStatus::Ok;
    if (s == "timeout") return model::SectionStatus::Timeout;
    if (s == "error") return model::SectionStatus::Error;
    return model::SectionStatus::Cancelled;
}

bool parse_int(const std::string& text, long long& out) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size();
}
}  // namespace

struct LoadedResult {
    model::PageResult page;
    bool any = false;
};

// A request being answered asynchronously. Counted as pending while it lives.
class JobRoutes::Held {
  public:
    Held(JobRoutes& routes, std::unique_ptr<fcgi::Request> request, http::Format format)
        : routes(routes), request(std::move(request)), format(format) {
        ++routes.in_flight_;
    }
    ~Held() { --routes.in_flight_; }
    JobRoutes& routes;
    std::unique_ptr<fcgi::Request> request;
    http::Format format;
};

// A long poll or an event stream on one job.
class JobRoutes::Watch final : public jobs::Watcher {
  public:
    enum class Kind { LongPoll, Stream };
    Watch(JobRoutes& routes, HeldPtr held, std::string id, Kind kind, std::int64_t since)
        : Watcher(std::move(id)),
          routes_(routes),
          held_(std::move(held)),
          kind_(kind),
          since_(since) {}
    ~Watch() override { routes_.loop_.cancel_timer(timer_); }

    Kind kind() const { return kind_; }

    void start(Millis timeout) {
        routes_.hub_.add(this);
        auto& req = *held_->request;
        req.watch_hangup([this] { end(); });
        if (kind_ == Kind::LongPoll) {
            timer_ = routes_.loop_.add_timer(timeout, [this] {
                timer_ = 0;
                if (last_json_.empty()) {
                    answer_error(504, "the job's state could not be read in time");
                } else {
                    answer(last_json_);
                }
            });
        } else {
            req.write_headers(200, "text/event-stream; charset=utf-8",
                              "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\n");
            req.write(": asyncpage job events\n\n");
            req.flush();
        }
        refresh();
    }

    // Reads the job now (at start and after a hub resync).
    void refresh() {
        std::weak_ptr<bool> alive = alive_;
        routes_.read_job(
            held_, job_id(),
            [this, alive](const std::string& json, const std::string&) {
                if (alive.expired() || ended_) return;
                auto ev = jobs::parse_job_event(json);
                if (ev) apply(*ev, json);
            },
            [this, alive] {  // answered with an error (404, 503): stop watching
                if (!alive.expired()) end();
            });
    }

    bool on_job_change(const jobs::JobEvent& ev, const std::string& json) override {
        if (ended_) return false;
        apply(ev, json);
        return !ended_;
    }

    void heartbeat() {
        if (ended_ || kind_ != Kind::Stream) return;
        held_->request->write(": keepalive\n\n");
        held_->request->flush();
        if (!held_->request->ok()) end();
    }

    // Drain: answer what we know / end the stream.
    void drain() {
        if (ended_) return;
        if (kind_ == Kind::LongPoll && !last_json_.empty()) {
            answer(last_json_);
        } else if (kind_ == Kind::LongPoll) {
            answer_error(503, "server restarting; retry", "Retry-After: 1\r\n");
        } else {
            end();
        }
    }

    void end() {
        if (ended_) return;
        ended_ = true;
        routes_.hub_.remove(this);
        held_->request->unwatch_hangup();
        routes_.loop_.cancel_timer(timer_);
        timer_ = 0;
        held_->request->finish();
        routes_.end_watch(this);
    }

  private:
    void apply(const jobs::JobEvent& ev, const std::string& json) {
        if (kind_ == Kind::LongPoll) {
            last_json_ = json;
            if (ev.version > since_) answer(json);
            return;
        }
        if (ev.version <= last_version_) return;  // a stale read or a repeat
        const char* type = (last_state_.empty() || ev.state != last_state_) ? "state" : "progress";
        last_version_ = ev.version;
        last_state_ = ev.state;
        auto& req = *held_->request;
        std::string out = "event: ";
        out += type;
        out += "\ndata: ";
        out += json;  // one line: PostgreSQL's json has no raw newlines
        out += "\n\n";
        req.write(out);
        req.flush();
        if (!req.ok() || jobs::is_final_state(ev.state)) end();
    }

    void answer(const std::string& json) {
        if (ended_) return;
        held_->request->respond(200, "application/json", json, kNoStore);
        end();
    }

    void answer_error(int status, std::string_view message, std::string_view extra = {}) {
        if (ended_) return;
        routes_.fail(held_, status, message, extra);
        end();
    }

    JobRoutes& routes_;
    HeldPtr held_;
    Kind kind_;
    std::int64_t since_;
    loop::TimerId timer_ = 0;
    std::string last_json_;
    std::string last_state_;
    std::int64_t last_version_ = 0;
    bool ended_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

JobRoutes::JobRoutes(loop::EventLoop& loop, pg::Statements& meta, jobs::Hub& hub, FindReport find)
    : loop_(loop), meta_(meta), hub_(hub), find_(std::move(find)) {
    heartbeat_timer_ = loop_.add_timer(kHeartbeatEvery, [this] { heartbeat(); });
}

JobRoutes::~JobRoutes() {
    loop_.cancel_timer(heartbeat_timer_);
    for (Watch* w : std::vector<Watch*>(watchers_.begin(), watchers_.end()))
        w->end();
    for (Watch* w : dead_)
        delete w;
}

void JobRoutes::end_watch(Watch* w) {
    watchers_.erase(w);
    // Ended from inside its own callbacks (or the hub's delivery): delete later.
    dead_.push_back(w);
    if (dead_.size() == 1) {
        loop_.defer([this] {
            for (Watch* d : dead_)
                delete d;
            dead_.clear();
        });
    }
}

std::size_t JobRoutes::long_polls() const {
    std::size_t n = 0;
    for (Watch* w : watchers_)
        n += w->kind() == Watch::Kind::LongPoll;
    return n;
}

std::size_t JobRoutes::streams() const {
    return watchers_.size() - long_polls();
}

void JobRoutes::heartbeat() {
    heartbeat_timer_ = loop_.add_timer(kHeartbeatEvery, [this] { heartbeat(); });
    for (Watch* w : std::vector<Watch*>(watchers_.begin(), watchers_.end()))
        w->heartbeat();
}

void JobRoutes::drain() {
    draining_ = true;
    for (Watch* w : std::vector<Watch*>(watchers_.begin(), watchers_.end()))
        w->drain();
}

void JobRoutes::resync() {
    for (Watch* w : watchers_)
        w->refresh();
}

JobRoutes::HeldPtr JobRoutes::hold(std::unique_ptr<fcgi::Request> request, http::Format format) {
    return std::make_shared<Held>(*this, std::move(request), format);
}

void JobRoutes::fail(const HeldPtr& held, int status, std::string_view message,
                     std::string_view extra) {
    respond_error(*held->request, held->format, status, message, {}, extra);
}

void JobRoutes::db_error(const HeldPtr& held, const pg::Outcome& o, const char* what) {
    if (o.sqlstate == "42P01" || o.sqlstate == "3F000") {
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
    // "*/*" and API clients get 202 with the job JSON (DESIGN §3).
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
    nlohmann::json params = nlohmann::json::object();
    for (auto& p : report->params) {
        if (const std::string* v = http::find_field(fields, p.name)) params[p.name] = *v;
    }
    auto held = hold(std::move(request), format);
    meta_.run("jobs:write", kCreateSql,
              {report->name, params.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
               owner_of(held->request->http())},
              [this, held](pg::Outcome& o) {
                  if (!o.ok) {
                      db_error(held, o, "create the job");
                      return;
                  }
                  ++counters_.created;
                  std::string id = o.text(0, 0);
                  std::string location = "Location: /jobs/" + id + "\r\n" + kNoStore;
                  if (held->format == http::Format::Html) {
                      held->request->respond(303, "text/plain; charset=utf-8",
                                             "job created: /jobs/" + id + "\n", location);
                  } else {
                      held->request->respond(202, "application/json", o.text(0, 1), location);
                  }
              });
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
    for (auto& c : id)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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

void JobRoutes::read_job(
    const HeldPtr& held, const std::string& id,
    std::function<void(const std::string& json, const std::string& params)> found,
    std::function<void()> answered) {
    meta_.run(
        "jobs:read", kReadSql, {id, owner_of(held->request->http())},
        [this, held, id, found = std::move(found), answered = std::move(answered)](pg::Outcome& o) {
            if (held->request->finished()) return;
            if (!o.ok) {
                db_error(held, o, "read the job");
            } else if (o.rows() == 0) {
                // Unknown, deleted after job_retention, or another user's.
                fail(held, 404, "no such job: " + id);
            } else {
                found(o.text(0, 0), o.text(0, 1));
                return;
            }
            if (answered) answered();
        });
}

void JobRoutes::show(const HeldPtr& held, const std::string& id) {
    read_job(held, id, [this, held, id](const std::string& json, const std::string& params) {
        if (held->format != http::Format::Html) {
            held->request->respond(200, "application/json", json, kNoStore);
            return;
        }
        auto view = std::make_shared<model::JobView>(job_view(json, params));
        auto report = find_(view->report);
        if (view->state != "succeeded" && view->state != "failed") {
            held->request->respond(200, "text/html; charset=utf-8",
                                   render::html_job(report.get(), *view, nullptr), kNoStore);
            return;
        }
        load_result(held, id, [held, view, report](LoadedResult& r) {
            held->request->respond(200, "text/html; charset=utf-8",
                                   render::html_job(report.get(), *view, r.any ? &r.page : nullptr),
                                   kNoStore);
        });
    });
}

void JobRoutes::wait(const HeldPtr& held, const std::string& id, const http::Fields& query) {
    long long since = 0, secs = kDefaultWaitSecs;
    if (const std::string* s = http::find_field(query, "since"); s && !parse_int(*s, since)) {
        respond_error(*held->request, held->format, 400,
                      "since: must be an integer (a job version)", "since", {});
        return;
    }
    if (const std::string* t = http::find_field(query, "timeout");
        t && (!parse_int(*t, secs) || secs < 0)) {
        respond_error(*held->request, held->format, 400,
                      "timeout: must be a whole number of seconds", "timeout", {});
        return;
    }
    secs = std::min<long long>(secs, kMaxWaitSecs);
    if (draining_) {
        // A draining worker answers at once; the client polls again elsewhere.
        read_job(held, id, [held](const std::string& json, const std::string&) {
            held->request->respond(200, "application/json", json, kNoStore);
        });
        return;
    }
    auto* w = new Watch(*this, held, id, Watch::Kind::LongPoll, since);
    watchers_.insert(w);
    w->start(Millis(secs * 1000));
}

void JobRoutes::events(const HeldPtr& held, const std::string& id) {
    if (draining_) {
        fail(held, 503, "server restarting; reconnect", "Retry-After: 1\r\n");
        return;
    }
    // The job is read before the stream starts, so an unknown job is a plain 404.
    read_job(held, id, [this, held, id](const std::string&, const std::string&) {
        auto* w = new Watch(*this, held, id, Watch::Kind::Stream, 0);
        watchers_.insert(w);
        w->start(Millis(0));
    });
}

void JobRoutes::load_result(const HeldPtr& held, const std::string& id,
                            std::function<void(LoadedResult&)> done) {
    meta_.run("jobs:read", kResultSql, {id}, [this, held, done](pg::Outcome& o) {
        if (held->request->finished()) return;
        if (!o.ok) {
            db_error(held, o, "read the job's result");
            return;
        }
        LoadedResult r;
        std::size_t ok = 0;
        for (int i = 0; i < o.rows(); ++i) {
            model::SectionResult s;
            s.name = o.text(i, 0);
            s.status = section_status(o.text(i, 1));
            s.elapsed_ms = std::atof(o.text(i, 2).c_str());
            if (!o.is_null(i, 5)) s.sqlstate = o.text(i, 5);
            if (!o.is_null(i, 6)) s.message = o.text(i, 6);
            auto cols = nlohmann::json::parse(o.text(i, 3), nullptr, false);
            auto rows = nlohmann::json::parse(o.text(i, 4), nullptr, false);
            if (cols.is_array() && !cols.empty()) {
                std::vector<model::ColumnSpec> specs;
                for (auto& c : cols)
                    specs.push_back({c.value("name", ""), c.value("type", Oid(25))});
                std::vector<std::vector<std::optional<std::string>>> cells;
                if (rows.is_array()) {
                    cells.reserve(rows.size());
                    for (auto& row : rows) {
                        auto& out = cells.emplace_back();
                        for (auto& v : row)
                            out.push_back(v.is_string() ? std::optional(v.get<std::string>())
                                                        : std::nullopt);
                    }
                }
                s.table = model::make_table(specs, cells);
            }
            ok += s.status == model::SectionStatus::Ok;
            r.page.sections.push_back(std::move(s));
            r.any = true;
        }
        r.page.status = ok == r.page.sections.size() ? model::PageStatus::Ok
                        : ok > 0                     ? model::PageStatus::Partial
                                                     : model::PageStatus::Error;
        for (auto& s : r.page.sections)
            r.page.elapsed_ms = std::max(r.page.elapsed_ms, s.elapsed_ms);
        done(r);
    });
}

void JobRoutes::result(const HeldPtr& held, const std::string& id, const http::Fields& query) {
    http::Fields q = query;
    read_job(held, id, [this, held, id, q](const std::string& json, const std::string& params) {
        auto view = std::make_shared<model::JobView>(job_view(json, params));
        if (!jobs::is_final_state(view->state)) {
            fail(held, 409,
                 "job " + id + " is " + view->state + ": its result is there once it has finished");
            return;
        }
        load_result(held, id, [this, held, id, q, view](LoadedResult& r) {
            if (!r.any) {
                fail(held, 404,
                     "job " + id + " has no result: it was " + view->state + " before it ran");
                return;
            }
            auto report = find_(view->report);
            r.page.report = view->report;
            switch (held->format) {
                case http::Format::Json:
                    held->request->respond(200, "application/json",
                                           render::json_page(r.page, false), kNoStore);
                    return;
                case http::Format::Html: {
                    const std::string* frag = http::find_field(q, "fragment");
                    held->request->respond(
                        200, "text/html; charset=utf-8",
                        render::html_job_result(report.get(), *view, r.page, frag && *frag == "1"),
                        kNoStore);
                    return;
                }
                case http::Format::Csv:
                    break;
            }
            const std::string* name = http::find_field(q, "section");
            const model::SectionResult* section = nullptr;
            std::string names;
            for (auto& s : r.page.sections) {
                names += (names.empty() ? "" : ", ") + s.name;
                if (name ? s.name == *name : r.page.sections.size() == 1) section = &s;
            }
            if (!section) {
                respond_error(
                    *held->request, held->format, 400,
                    name ? "section: no section '" + *name + "' in this result; one of: " + names
                         : "section: required for CSV, one of: " + names,
                    "section", {});
                return;
            }
            if (section->status != model::SectionStatus::Ok) {
                fail(held, 409,
                     fmt::format("section {} did not succeed ({}): {}", section->name,
                                 model::to_string(section->status), section->message));
                return;
            }
            std::string csv;
            render::append_csv_header(csv, section->table);
            render::append_csv_rows(csv, section->table);
            std::string extra = fmt::format(
                "Cache-Control: no-store\r\nContent-Disposition: attachment; "
                "filename=\"{}-{}.csv\"\r\n",
                view->report, section->name);
            held->request->respond(200, "text/csv; charset=utf-8", csv, extra);
        });
    });
}

void JobRoutes::cancel(const HeldPtr& held, const std::string& id) {
    ++counters_.cancel_requests;
    meta_.run("jobs:write", kCancelSql, {id, owner_of(held->request->http())},
              [this, held, id](pg::Outcome& o) {
                  if (!o.ok) {
                      db_error(held, o, "cancel the job");
                      return;
                  }
                  if (o.rows() == 0) {
                      fail(held, 404, "no such job: " + id);
                      return;
                  }
                  bool changed = o.text(0, 1) == "t";
                  if (held->format == http::Format::Html) {
                      held->request->respond(303, "text/plain; charset=utf-8",
                                             "see /jobs/" + id + "\n",
                                             "Location: /jobs/" + id + "\r\n" + kNoStore);
                      return;
                  }
                  if (!changed) {
                      auto ev = jobs::parse_job_event(o.text(0, 0));
                      fail(held, 409,
                           "job " + id + " already " + (ev ? ev->state : "finished") +
                               ": nothing to cancel");
                      return;
                  }
                  held->request->respond(200, "application/json", o.text(0, 0), kNoStore);
              });
}

}  // namespace asyncpage::page
