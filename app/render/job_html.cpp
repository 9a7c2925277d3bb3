// The job pages: the wait screen (state, progress bar, elapsed time, cancel form,
// error and result in place) and a finished job's result as a page or fragment.
// Every value from the job, its params and its result goes through
// append_escaped_html; the CSS and script below are static and hold no data (the
// script reads the job from the data-job attribute, never from a <script> body).
#include "render/job_html.hpp"

#include <algorithm>

#include "render/html.hpp"

namespace asyncpage::render {
namespace {

using reports::Report;

// Added to html.cpp's shared style: state badges, key/value lists, the progress bar
// (determinate, or a sliding indeterminate fill while the progress is unknown).
constexpr std::string_view kJobStyle = R"css(<style>
h1 .badge{vertical-align:middle;margin-left:.4rem}
.badge.queued{background:#eef0f3;border-color:#b8c0cc;color:#444c59}
.badge.running{background:#e8effc;border-color:#9bb5ea;color:#1b418f}
.badge.succeeded{background:#e6f4ea;border-color:#8fcea0;color:#1e5b2d}
.badge.failed{background:#fdecea;border-color:#e49b95;color:#7a1610}
dl.kv{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.15rem 1rem;margin:.6rem 0}
dl.kv dt{color:#5b6575;font-size:.875rem}
dl.kv dd{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
.progress-row{display:flex;align-items:center;gap:.75rem;margin:1.2rem 0 .3rem}
.progress{position:relative;flex:1;height:.9rem;overflow:hidden;background:#e6e9ee;border-radius:99px}
.progress-fill{height:100%;width:0;background:#2457c5;border-radius:99px;transition:width .3s}
.progress.indeterminate .progress-fill{position:absolute;width:30%;animation:slide 1.4s ease-in-out infinite}
@keyframes slide{from{left:-30%}to{left:100%}}
#job[data-state=succeeded] .progress-fill{background:#2e8b4a}
#job[data-state=failed] .progress-fill{background:#e49b95}
#job[data-state=cancelled] .progress-fill{background:#b8c0cc}
#job-percent{min-width:3.5em;text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
#job-message{margin:.2rem 0 .8rem;color:#444c59;min-height:1.5em;white-space:pre-wrap;overflow-wrap:anywhere}
#job-cancel{display:block;padding:0;background:none;border:0}
#job-cancel button{background:#fff;color:#b3261e;border-color:#b3261e}
#job-error code{margin-left:.4em}
@media (prefers-reduced-motion:reduce){.progress.indeterminate .progress-fill{animation:none;width:100%;opacity:.35}}
</style>
)css";

// Without JavaScript the page reloads itself until the job is final.
constexpr std::string_view kRefresh =
    "<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>\n";

// Follows the job live: the event stream, else (no EventSource, or the stream broke
// before a final state) long polls; every answer is the job JSON and only one with a
// greater version is applied. DOM updates go through textContent/setAttribute/style;
// innerHTML only takes the server-rendered (escaped) result fragment. The cancel
// form still posts (303 back here) when the script does not run.
constexpr std::string_view kJobScript = R"js(<script>
(() => {
  "use strict";
  const root = document.getElementById("job");
  if (!root) return;
  let job;
  try {
    job = JSON.parse(root.getAttribute("data-job"));
  } catch (e) {
    return;
  }
  if (!job || typeof job.id !== "string") return;
  const el = (id) => document.getElementById(id);
  const isFinal = (state) => ["succeeded", "failed", "cancelled"].includes(state);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const base = "/jobs/" + encodeURIComponent(job.id);
  const bar = el("job-bar");
  const fill = bar.querySelector(".progress-fill");
  const cancelForm = el("job-cancel");
  const cancelStatus = el("job-cancel-status");
  const resultBox = el("job-result");
  // Elapsed time runs between the database's timestamps, so "now" is the server's
  // clock: its offset from ours when the page was rendered.
  const serverNow = Number(root.getAttribute("data-now"));
  const skew = serverNow > 0 ? serverNow - Date.now() : 0;
  let version = typeof job.version === "number" ? job.version : -1;
  let done = false;
  let source = null;
  let timer = null;
  let polling = false;

  // PostgreSQL gives up to six fraction digits and offsets such as "+05" or
  // "+05:53:28"; Date.parse is only specified for milliseconds and "+HH:MM".
  const parseTime = (s) => {
    if (typeof s !== "string" || s === "") return NaN;
    return Date.parse(s.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1")
                       .replace(/([+-]\d\d)$/, "$1:00").replace(/([+-]\d\d:\d\d):\d\d$/, "$1"));
  };
  // As format_elapsed in job_html.cpp: "12 s", "1 min 5 s", "2 h 0 min 3 s".
  const formatElapsed = (secs) => {
    const s = Math.max(0, Math.floor(secs));
    const m = Math.floor(s / 60) % 60;
    if (s >= 3600) return Math.floor(s / 3600) + " h " + m + " min " + (s % 60) + " s";
    if (s >= 60) return m + " min " + (s % 60) + " s";
    return s + " s";
  };
  const showElapsed = () => {
    const from = parseTime(job.state === "queued" ? job.created_at
                                                  : job.started_at || job.created_at);
    const to = isFinal(job.state) ? parseTime(job.finished_at) : Date.now() + skew;
    el("job-elapsed").textContent =
        isNaN(from) || isNaN(to) ? "" : formatElapsed((to - from) / 1000);
  };

  const render = () => {
    const state = String(job.state || "");
    root.setAttribute("data-state", state);
    const badge = el("job-state");
    badge.textContent = state;
    badge.className = "badge " + state;
    let p = state === "succeeded" ? 100 : job.progress;
    if (typeof p === "number" && isFinite(p)) {
      p = Math.min(100, Math.max(0, Math.round(p)));
      bar.setAttribute("aria-valuenow", String(p));
      bar.classList.remove("indeterminate");
      fill.style.width = p + "%";
      el("job-percent").textContent = p + "%";
    } else {
      bar.removeAttribute("aria-valuenow");
      bar.classList.toggle("indeterminate", !isFinal(state));
      fill.style.width = "";
      el("job-percent").textContent = "";
    }
    el("job-message").textContent = typeof job.message === "string" ? job.message : "";
    showElapsed();
  };

  // Stops everything that follows the job; the EventSource must be closed or the
  // browser reconnects to it.
  const stop = () => {
    done = true;
    if (source) {
      source.close();
      source = null;
    }
    if (timer) {
      clearInterval(timer);
      timer = null;
    }
    if (cancelForm) cancelForm.hidden = true;
    if (cancelStatus) cancelStatus.textContent = "";
  };

  const showError = () => {
    const err = job.error;
    let message = "";
    let sqlstate = "";
    if (err && typeof err === "object") {
      message = String(err.message || "");
      sqlstate = String(err.sqlstate || "");
    } else if (typeof err === "string") {
      message = err;
    }
    el("job-error-message").textContent = message || "(no message)";
    const code = el("job-error-sqlstate");
    code.textContent = sqlstate;
    code.hidden = !sqlstate;
    el("job-error").hidden = false;
  };

  // The result as the server renders it for #job-result; a few tries, then a link.
  const loadResult = async () => {
    if (resultBox.childElementCount > 0) return;  // rendered with the page
    const url = base + "/result?format=html";
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await fetch(url + "&fragment=1", {headers: {Accept: "text/html"}});
        if (!r.ok) throw new Error("HTTP " + r.status);
        resultBox.innerHTML = await r.text();  // server-rendered: every value escaped there
        return;
      } catch (e) {
        if (attempt >= 3) {
          const notice = document.createElement("p");
          notice.className = "notice error";
          notice.textContent = "The result could not be loaded (" + e.message + "). ";
          const link = document.createElement("a");
          link.href = url;
          link.textContent = "Open the result";
          notice.appendChild(link);
          resultBox.textContent = "";
          resultBox.appendChild(notice);
          return;
        }
        await sleep(1000);
      }
    }
  };

  const finish = () => {
    stop();
    if (job.state === "succeeded") loadResult();
    else if (job.state === "failed") showError();
    else if (job.state === "cancelled") el("job-cancelled").hidden = false;
  };

  // Applies a job JSON from the stream, a long poll or the cancel answer.
  const apply = (next) => {
    if (done || !next || typeof next !== "object") return false;
    if (typeof next.version !== "number" || next.version <= version) return false;
    version = next.version;
    job = next;
    render();
    if (isFinal(job.state)) finish();
    return true;
  };

  const gone = () => {
    stop();
    el("job-message").textContent = "This job no longer exists.";
  };

  // GET /jobs/ID/wait answers once the version passes `since`, or after the timeout
  // with the same version; errors are retried after a second (or Retry-After).
  const poll = async () => {
    if (polling) return;
    polling = true;
    while (!done) {
      const started = Date.now();
      let r;
      try {
        r = await fetch(base + "/wait?since=" + encodeURIComponent(version) + "&timeout=25",
                        {headers: {Accept: "application/json"}, cache: "no-store"});
      } catch (e) {
        await sleep(1000);
        continue;
      }
      if (r.status === 404) {
        gone();
        break;
      }
      if (!r.ok) {
        const after = Number(r.headers.get("Retry-After"));
        await sleep(after > 0 ? Math.min(after, 30) * 1000 : 1000);
        continue;
      }
      let applied = false;
      try {
        applied = apply(await r.json());
      } catch (e) {
        // not JSON: retried below
      }
      // An answer that came back at once without news must not become a busy loop.
      if (!applied && Date.now() - started < 1000) await sleep(1000);
    }
    polling = false;
  };

  const listen = () => {
    if (typeof window.EventSource !== "function") {
      poll();
      return;
    }
    source = new EventSource(base + "/events");
    const onEvent = (ev) => {
      try {
        apply(JSON.parse(ev.data));
      } catch (e) {
        // a malformed event is skipped
      }
    };
    source.addEventListener("progress", onEvent);
    source.addEventListener("state", onEvent);
    // The stream broke (or ended) before a final state: long-poll instead of letting
    // the browser reconnect.
    source.onerror = () => {
      if (done) return;
      if (source) {
        source.close();
        source = null;
      }
      poll();
    };
  };

  if (cancelForm) {
    cancelForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const button = cancelForm.querySelector("button");
      button.disabled = true;
      cancelStatus.textContent = "";
      let ok = false;
      try {
        const r = await fetch(base, {method: "DELETE", headers: {Accept: "application/json"}});
        ok = r.ok;
        if ((r.headers.get("Content-Type") || "").includes("json")) apply(await r.json());
        if (!done) cancelStatus.textContent = ok ? "Cancelling\u2026" : "Cancel failed (HTTP " + r.status + ").";
      } catch (e) {
        ok = false;
        if (!done) cancelStatus.textContent = "Cancel failed: " + e.message;
      }
      // Accepted: the next event brings the final state; refused: may try again.
      if (!done && !ok) button.disabled = false;
    });
  }

  if (isFinal(job.state)) {
    done = true;
    if (job.state === "succeeded") loadResult();
    return;
  }
  timer = setInterval(showElapsed, 1000);
  listen();
})();
</script>
)js";

void esc(std::string& out, std::string_view text) {
    append_escaped_html(out, text);
}

void attr(std::string& out, std::string_view name, std::string_view value) {
    append_attr(out, name, value);
}

std::string_view title_of(const Report* report, const JobView& job) {
    if (!report) return job.report;
    return report->title.empty() ? std::string_view(report->name) : std::string_view(report->title);
}

// "/jobs/ID" with the id percent-encoded (a UUID needs none, but it is a value).
std::string job_url(const JobView& job) {
    std::string url = "/jobs/";
    http::append_url_encoded(url, job.id);
    return url;
}

// A job's CSV links go to its stored result; its sections ran under job_timeout.
ResultOptions job_result_options(const JobView& job) {
    ResultOptions o;
    o.csv_prefix = job_url(job) + "/result?format=csv&section=";
    o.timeout_limit = "the job's timeout";
    return o;
}

// The report's title, linked to its form when the report still exists.
void append_title(std::string& out, const Report* report, const JobView& job) {
    if (report) {
        out += "<a href=\"/reports/";
        http::append_url_encoded(out, report->name);
        out += "\">";
        esc(out, title_of(report, job));
        out += "</a>";
    } else {
        esc(out, title_of(report, job));
    }
}

void append_params(std::string& out, const JobView& job) {
    out += "<h2>Parameters</h2>\n";
    if (job.params.empty()) {
        out += "<p class=\"meta\" id=\"job-params\">None given.</p>\n";
        return;
    }
    out += "<dl class=\"kv\" id=\"job-params\">\n";
    for (const auto& [name, value] : job.params) {
        out += "<dt>";
        esc(out, name);
        out += "</dt><dd>";
        esc(out, value);
        out += "</dd>\n";
    }
    out += "</dl>\n";
}

// The bar, its percentage and the message. A succeeded job is shown complete
// whatever its last progress was; unknown progress is indeterminate until final.
void append_progress(std::string& out, const JobView& job, bool final) {
    std::optional<int> progress = job.progress;
    if (job.state == "succeeded") progress = 100;
    if (progress) progress = std::clamp(*progress, 0, 100);
    out += "<div class=\"progress-row\"><div id=\"job-bar\" class=\"progress";
    if (!progress && !final) out += " indeterminate";
    out +=
        "\" role=\"progressbar\" aria-label=\"Progress\" aria-valuemin=\"0\" "
        "aria-valuemax=\"100\"";
    if (progress) {
        std::string n = std::to_string(*progress);
        out += " aria-valuenow=\"" + n + "\"><div class=\"progress-fill\" style=\"width:" + n +
               "%\"></div></div><span id=\"job-percent\">" + n + "%</span></div>\n";
    } else {
        out +=
            "><div class=\"progress-fill\"></div></div><span id=\"job-percent\"></span>"
            "</div>\n";
    }
    out += "<p id=\"job-message\" aria-live=\"polite\">";
    esc(out, job.message);
    out += "</p>\n";
}

}  // namespace

std::string html_job(const reports::Report* report, const JobView& job, const PageResult* result) {
    const bool final = is_final_state(job.state);
    const auto now = std::chrono::system_clock::now();
    std::string out;
    std::size_t estimate = 16384 + job.json.size() * 2;
    if (result) {
        for (const auto& s : result->sections)
            estimate += 256 + s.table.rows() * (s.table.columns() * 16 + 10);
    }
    out.reserve(estimate);

    std::string head(kJobStyle);
    if (!final) head += kRefresh;
    // The script's state: an attribute, so nothing in the JSON can end a <script>.
    std::string main_attrs = " id=\"job\"";
    attr(main_attrs, "data-job", job.json);
    attr(main_attrs, "data-state", job.state);
    attr(
        main_attrs, "data-now",
        std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count()));
    std::string page_title(title_of(report, job));
    page_title += " \xC2\xB7 job";  // U+00B7 middle dot
    append_page_start(out, page_title, head, main_attrs);

    out += "<h1>";
    append_title(out, report, job);
    out += " <span id=\"job-state\"";
    attr(out, "class", "badge " + job.state);
    out += '>';
    esc(out, job.state);
    out += "</span></h1>\n";
    if (!report) out += "<p class=\"meta\">The report file no longer exists.</p>\n";

    out += "<dl class=\"kv\">\n<dt>Job</dt><dd><code id=\"job-id\">";
    esc(out, job.id);
    out += "</code></dd>\n<dt>Elapsed</dt><dd id=\"job-elapsed\">";
    if (auto secs = job_elapsed_seconds(job, now)) out += format_elapsed(*secs);
    out += "</dd>\n</dl>\n";

    append_progress(out, job, final);
    const std::string url = job_url(job);
    if (!final) {
        // Without JS this posts and the server answers 303 back to this page.
        out += "<form id=\"job-cancel\" method=\"post\"";
        attr(out, "action", url + "/cancel");
        out +=
            "><button type=\"submit\">Cancel</button></form>\n"
            "<p id=\"job-cancel-status\" class=\"meta\" role=\"status\"></p>\n";
    }

    const bool failed = job.state == "failed";
    out += "<div id=\"job-error\" class=\"notice error\" role=\"alert\"";
    if (!failed) out += " hidden";
    out += "><strong>Job failed</strong><code id=\"job-error-sqlstate\"";
    if (!failed || job.error_sqlstate.empty()) out += " hidden";
    out += '>';
    if (failed) esc(out, job.error_sqlstate);
    out += "</code>: <span id=\"job-error-message\">";
    if (failed) esc(out, job.error_message.empty() ? "(no message)" : job.error_message);
    out += "</span></div>\n<p id=\"job-cancelled\" class=\"notice warn\" role=\"status\"";
    if (job.state != "cancelled") out += " hidden";
    out += ">Job cancelled.</p>\n";

    append_params(out, job);

    // Filled by the script once the job succeeds, when not rendered here already.
    out += "<div id=\"job-result\">";
    if (result) append_result(out, *result, job_result_options(job));
    out += "</div>\n";
    append_page_end(out, kJobScript);
    return out;
}

std::string html_job_result(const reports::Report* report, const JobView& job,
                            const PageResult& result, bool fragment) {
    std::string out;
    std::size_t estimate = fragment ? 1024 : 8192;
    for (const auto& s : result.sections)
        estimate += 256 + s.table.rows() * (s.table.columns() * 16 + 10);
    out.reserve(estimate);
    if (fragment) {
        append_result(out, result, job_result_options(job));
        return out;
    }
    std::string page_title(title_of(report, job));
    page_title += " \xC2\xB7 job result";
    append_page_start(out, page_title, kJobStyle);
    out += "<h1>";
    append_title(out, report, job);
    out += "</h1>\n<p class=\"meta\"><a id=\"job-link\"";
    attr(out, "href", job_url(job));
    out += ">Back to the job</a> &middot; job <code>";
    esc(out, job.id);
    out += "</code> &middot; ";
    esc(out, job.state);
    out += "</p>\n";
    append_params(out, job);
    append_result(out, result, job_result_options(job));
    append_page_end(out);
    return out;
}

// ---- helpers ----------------------------------------------------------------------

namespace {

// `n` decimal digits at `pos` into `value`.
bool read_digits(std::string_view s, std::size_t pos, std::size_t n, int& value) {
    if (pos + n > s.size()) return false;
    value = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        value = value * 10 + (s[i] - '0');
    }
    return true;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_timestamp(std::string_view s) {
    using namespace std::chrono;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (!read_digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !read_digits(s, 5, 2, mo) ||
        s[7] != '-' || !read_digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') ||
        !read_digits(s, 11, 2, h) || s[13] != ':' || !read_digits(s, 14, 2, mi) || s[16] != ':' ||
        !read_digits(s, 17, 2, sec)) {
        return std::nullopt;
    }
    year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
    std::size_t i = 19;
    microseconds fraction{0};
    if (i < s.size() && s[i] == '.') {
        std::size_t start = ++i;
        long long us = 0;
        int kept = 0;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
            if (kept < 6) {
                us = us * 10 + (s[i] - '0');
                ++kept;
            }
        }
        if (i == start) return std::nullopt;
        for (; kept < 6; ++kept)
            us *= 10;
        fraction = microseconds{us};
    }
    seconds offset{0};
    if (i < s.size()) {
        if (s[i] == 'Z') {
            ++i;
        } else if (s[i] == '+' || s[i] == '-') {
            const int sign = s[i] == '-' ? -1 : 1;
            int oh = 0, om = 0, os = 0;
            if (!read_digits(s, i + 1, 2, oh)) return std::nullopt;
            i += 3;
            if (i < s.size()) {  // ":MM"
                if (s[i] != ':' || !read_digits(s, i + 1, 2, om)) return std::nullopt;
                i += 3;
            }
            if (i < s.size()) {  // ":SS", for historic zones
                if (s[i] != ':' || !read_digits(s, i + 1, 2, os)) return std::nullopt;
                i += 3;
            }
            offset = sign * (hours{oh} + minutes{om} + seconds{os});
        }
        if (i != s.size()) return std::nullopt;
    }
    auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + fraction - offset;
    return time_point_cast<system_clock::duration>(t);
}

std::optional<std::int64_t> job_elapsed_seconds(const JobView& job,
                                                std::chrono::system_clock::time_point now) {
    const std::string& from_text =
        job.state == "queued" || job.started_at.empty() ? job.created_at : job.started_at;
    auto from = parse_timestamp(from_text);
    if (!from) return std::nullopt;
    auto to = now;
    if (is_final_state(job.state)) {
        auto finished = parse_timestamp(job.finished_at);
        if (!finished) return std::nullopt;
        to = *finished;
    }
    std::int64_t secs = std::chrono::floor<std::chrono::seconds>(to - *from).count();
    return std::max<std::int64_t>(0, secs);
}

std::string format_elapsed(std::int64_t seconds) {
    seconds = std::max<std::int64_t>(0, seconds);
    const std::string s = std::to_string(seconds % 60) + " s";
    const std::string m = std::to_string(seconds / 60 % 60) + " min ";
    if (seconds >= 3600) return std::to_string(seconds / 3600) + " h " + m + s;
    if (seconds >= 60) return m + s;
    return s;
}

}  // namespace asyncpage::render
