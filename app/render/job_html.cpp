// The job pages: the wait screen (state, progress bar, elapsed time, cancel form,
// error and result in place) and a finished job's result as a page or fragment.
// Every value from the job, its params and its result goes through
// append_escaped_html. The CSS and script are assets/job.css and assets/job.js,
// linked; the script reads the job from the data-job attribute.
#include "render/job_html.hpp"

#include <algorithm>

#include "render/html.hpp"
#include "render/url_base.hpp"

namespace asyncpage::render {
namespace {

using reports::Report;

// Without JavaScript the page reloads itself until the job is final.
constexpr std::string_view kRefresh =
    "<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>\n";

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
    std::string url = url_base() + "/jobs/";
    http::append_url_encoded(url, job.id);
    return url;
}

// A job's CSV and Excel links go to its stored result; its sections ran under
// job_timeout; its report's presentation lines apply (none when it is gone).
ResultOptions job_result_options(const Report* report, const JobView& job) {
    ResultOptions o;
    o.report = report;
    o.csv_prefix = job_url(job) + "/result?format=csv&section=";
    o.xlsx_prefix = job_url(job) + "/result?format=xlsx&section=";
    o.timeout_limit = "the job's timeout";
    return o;
}

// The report's title, linked to its form when the report still exists.
void append_title(std::string& out, const Report* report, const JobView& job) {
    if (report) {
        out += "<a href=\"";
        esc(out, url_base());
        out += "/reports/";
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
        // No style="width:N%": assets/job.js sets the fill's width from aria-valuenow.
        out += " aria-valuenow=\"" + n + "\"><div class=\"progress-fill\"></div></div>" +
               "<span id=\"job-percent\">" + n + "%</span></div>\n";
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

    std::string head;
    append_stylesheet(head, "job.css");
    append_script(head, "job.js");
    append_script(head, "table_sort.js");  // also for a result job.js inserts later
    if (!final) head += kRefresh;
    // The script's state: an attribute, so nothing in the JSON can end a <script>.
    std::string main_attrs = " id=\"job\"";
    attr(main_attrs, "data-job", job.json);
    attr(main_attrs, "data-url", job_url(job));  // with the site's prefix, for job.js
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
    // Shown once a run was lost and the job runs again (job.js keeps it current).
    out += "<p id=\"job-attempt\" class=\"meta\"";
    if (job.attempt < 2) out += " hidden";
    out += '>';
    if (job.attempt >= 2)
        out += "attempt " + std::to_string(job.attempt) + " of " + std::to_string(job.max_attempts);
    out += "</p>\n";

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
    if (result) append_result(out, *result, job_result_options(report, job));
    out += "</div>\n";
    append_page_end(out);
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
        append_result(out, result, job_result_options(report, job));
        return out;
    }
    std::string page_title(title_of(report, job));
    page_title += " \xC2\xB7 job result";
    std::string head;
    append_stylesheet(head, "job.css");
    append_script(head, "table_sort.js");
    append_page_start(out, page_title, head);
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
    append_result(out, result, job_result_options(report, job));
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
