// A report's form: one typed control per param, pre-filled with the values given,
// the wait indicator that assets/report.js shows while the report runs, and the
// notice for a rejected param.
#include "render/report_form.hpp"

#include "render/html.hpp"
#include "render/url_base.hpp"

namespace asyncpage::render {
namespace {

using reports::ParamSpec;
using reports::ParamType;
using reports::Report;

void esc(std::string& out, std::string_view text) {
    append_escaped_html(out, text);
}

void append_url(std::string& out, std::string_view text) {
    http::append_url_encoded(out, text);
}

// datetime-local wants "YYYY-MM-DDTHH:MM[:SS]"; params are normalised with a space.
std::string as_datetime_local(std::string_view v) {
    std::string s(v);
    if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
    return s;
}

// The select's value for a bool param as given (true/false/1/0/yes/no/on/off).
std::string_view bool_choice(std::string_view v) {
    std::string lower;
    for (char c : v)
        lower += (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
    if (lower == "true" || lower == "t" || lower == "1" || lower == "yes" || lower == "on") {
        return "true";
    }
    if (lower == "false" || lower == "f" || lower == "0" || lower == "no" || lower == "off") {
        return "false";
    }
    return {};
}

void attr(std::string& out, std::string_view name, std::string_view value) {
    append_attr(out, name, value);
}

void append_option(std::string& out, std::string_view value, std::string_view label,
                   bool selected) {
    out += "<option";
    attr(out, "value", value);
    if (selected) out += " selected";
    out += '>';
    esc(out, label);
    out += "</option>";
}

void append_param_field(std::string& out, const ParamSpec& p, const std::string* given,
                        bool invalid) {
    std::string_view value = given             ? std::string_view(*given)
                             : p.default_value ? std::string_view(*p.default_value)
                                               : std::string_view{};
    out += "<label>";
    esc(out, p.name);
    if (p.required) out += " <span class=\"req\" aria-hidden=\"true\">*</span>";
    std::string id = "p-" + p.name;
    // Common attributes of the control: name, id, required, the error link.
    auto common = [&] {
        attr(out, "name", p.name);
        attr(out, "id", id);
        if (p.required) out += " required";
        if (invalid) out += " aria-invalid=\"true\" aria-describedby=\"param-error\"";
    };
    switch (p.type) {
        case ParamType::Bool:
        case ParamType::Enum: {
            out += "<select";
            common();
            out += '>';
            // An empty first option is "not given" (NULL or the default), and with
            // `required` the browser refuses to submit it. HTML wants it labelled.
            append_option(out, "",
                          p.default_value ? "(default)"
                          : p.required    ? "(choose)"
                                          : "(none)",
                          false);
            if (p.type == ParamType::Bool) {
                std::string_view choice = bool_choice(value);
                append_option(out, "true", "true", choice == "true");
                append_option(out, "false", "false", choice == "false");
            } else {
                for (const auto& v : p.enum_values)
                    append_option(out, v, v, v == value);
            }
            out += "</select></label>\n";
            return;
        }
        case ParamType::Int:
        case ParamType::Bigint:
            out += "<input type=\"number\" step=\"1\"";
            if (p.min) attr(out, "min", *p.min);
            if (p.max) attr(out, "max", *p.max);
            break;
        case ParamType::Numeric:
            out += "<input type=\"text\" inputmode=\"decimal\" pattern=\"-?[0-9]+(\\.[0-9]+)?\"";
            break;
        case ParamType::Date:
            out += "<input type=\"date\"";
            if (p.min) attr(out, "min", *p.min);
            if (p.max) attr(out, "max", *p.max);
            break;
        case ParamType::Timestamp:
            out += "<input type=\"datetime-local\" step=\"1\"";
            if (p.min) attr(out, "min", as_datetime_local(*p.min));
            if (p.max) attr(out, "max", as_datetime_local(*p.max));
            break;
        case ParamType::Text:
            out += "<input type=\"text\"";
            if (p.maxlen) attr(out, "maxlength", std::to_string(*p.maxlen));
            break;
    }
    common();
    if (p.type == ParamType::Timestamp) {
        attr(out, "value", as_datetime_local(value));
    } else {
        attr(out, "value", value);
    }
    out += "></label>\n";
}

// "lim: must be ..." → "must be ...": the notice names the param itself.
std::string_view without_param_prefix(std::string_view message, std::string_view param) {
    if (message.size() > param.size() + 1 && message.substr(0, param.size()) == param &&
        message[param.size()] == ':') {
        message.remove_prefix(param.size() + 1);
        while (!message.empty() && message.front() == ' ')
            message.remove_prefix(1);
    }
    return message;
}

}  // namespace

void append_report_form(std::string& out, const reports::Report& report, const http::Fields& given,
                        const reports::ParamError* error, bool trace) {
    if (error) {
        out += "<p class=\"notice error\" id=\"param-error\" role=\"alert\">Parameter <strong>";
        esc(out, error->param);
        out += "</strong>: ";
        esc(out, without_param_prefix(error->message, error->param));
        out += "</p>\n";
    }
    if (report.job) {
        // Job reports run in the background: the form creates a job and
        // the browser is sent on (303) to its wait screen.
        out += "<form id=\"run-form\" method=\"post\" action=\"";
        esc(out, url_base());
        out += "/reports/";
        append_url(out, report.name);
        out += "/jobs\">\n";
    } else {
        // An explicit action rather than action="", which HTML forbids (it must be a
        // non-empty URL); a GET submission replaces the whole query string anyway.
        out += "<form id=\"run-form\" method=\"get\" action=\"";
        esc(out, url_base());
        out += "/reports/";
        append_url(out, report.name);
        out += "\">\n";
    }
    for (const auto& p : report.params) {
        append_param_field(out, p, http::find_field(given, p.name),
                           error && error->param == p.name);
    }
    // run=1 makes a GET without params still run the report.
    out += "<input type=\"hidden\" name=\"run\" value=\"1\">\n";
    if (trace) out += "<input type=\"hidden\" name=\"trace\" value=\"1\">\n";
    out += report.job ? "<button type=\"submit\">Start job</button>\n"
                      : "<button type=\"submit\">Run</button>\n";
    out +=
        "<span id=\"wait\" class=\"wait\" role=\"status\" hidden><span class=\"spinner\"></span>"
        "Running&hellip; <span id=\"wait-secs\">0.0</span> s</span>\n</form>\n";
}

}  // namespace asyncpage::render
