// Error answers shared by the router and the job routes.
#include "page/respond.hpp"

#include "render/html.hpp"
#include "render/json.hpp"
#include "render/url_base.hpp"

namespace asyncpage::page {

void respond_error(fcgi::Request& request, http::Format format, int status,
                   std::string_view message, std::string_view param,
                   std::string_view extra_headers) {
    render::UrlBase base(request.http().base);
    std::string extra("Cache-Control: no-store\r\n");
    extra += extra_headers;
    switch (format) {
        case http::Format::Json:
            request.respond(status, "application/json", render::json_error(status, message, param),
                            extra);
            break;
        case http::Format::Csv:
        case http::Format::Xlsx:
            request.respond(status, "text/plain; charset=utf-8", std::string(message) + "\n",
                            extra);
            break;
        case http::Format::Html:
            request.respond(status, "text/html; charset=utf-8", render::html_error(status, message),
                            extra);
            break;
    }
}

}  // namespace asyncpage::page
