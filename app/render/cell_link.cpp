// Drill-down links: a link template filled with one row's values.
#include "render/cell_link.hpp"

#include "http/request.hpp"
#include "render/url_base.hpp"

namespace asyncpage::render {

std::optional<std::string> link_url(const reports::ColumnLink& link, const ValueOf& value_of) {
    std::string url;
    if (link.url.size() >= 1 && link.url[0] == '/' && (link.url.size() < 2 || link.url[1] != '/')) {
        url = url_base();
    }
    for (const reports::LinkPart& part : link.parts) {
        if (!part.placeholder) {
            url += part.text;
            continue;
        }
        auto v = value_of(part.text);
        if (!v) return std::nullopt;
        http::append_url_encoded(url, *v);
    }
    return url;
}

}  // namespace asyncpage::render
