#pragma once
// Checks shared by the HTML writers' unit tests.
#include <string>
#include <string_view>
#include <vector>

namespace markup {

// How often `needle` occurs in `hay` (overlaps counted).
inline std::size_t count(std::string_view hay, std::string_view needle) {
    std::size_t n = 0;
    for (std::size_t p = hay.find(needle); p != std::string_view::npos;
         p = hay.find(needle, p + 1)) {
        ++n;
    }
    return n;
}

// Elements close in order (void elements aside), no '<' inside a tag, and no "</"
// inside a style or script (which would end it early).
inline std::string check_markup(const std::string& html) {
    static const std::vector<std::string> voids = {"meta", "input", "br", "link", "hr", "img"};
    std::vector<std::string> open;
    std::size_t i = 0;
    while ((i = html.find('<', i)) != std::string::npos) {
        std::size_t end = html.find('>', i);
        if (end == std::string::npos) return "unterminated tag at " + std::to_string(i);
        std::string tag = html.substr(i + 1, end - i - 1);
        if (tag.find('<') != std::string::npos) return "'<' inside tag: " + tag;
        if (tag.rfind("!DOCTYPE", 0) == 0) {
            i = end;
            continue;
        }
        if (tag[0] == '/') {
            std::string name = tag.substr(1);
            if (open.empty() || open.back() != name) {
                return "closing </" + name + "> but open is <" + (open.empty() ? "" : open.back()) +
                       ">";
            }
            open.pop_back();
            i = end;
            continue;
        }
        std::string name = tag.substr(0, tag.find_first_of(" \n"));
        // A self-closing tag (<rect .../>, inline SVG's) opens nothing.
        bool self_closing = tag.back() == '/';
        if (!self_closing && std::find(voids.begin(), voids.end(), name) == voids.end()) {
            open.push_back(name);
        }
        if (name == "style" || name == "script") {
            std::size_t close = html.find("</" + name + ">", end);
            if (close == std::string::npos) return "unclosed " + name;
            std::string body = html.substr(end + 1, close - end - 1);
            if (body.find("</") != std::string::npos || body.find("<!--") != std::string::npos) {
                return "markup inside " + name;
            }
            i = close;
            continue;
        }
        i = end;
    }
    if (!open.empty()) return "unclosed <" + open.back() + ">";
    return "";
}

// What a Content-Security-Policy without 'unsafe-inline' would refuse: a <style>
// element, a style="..." attribute, a <script> without src (or with a body), an
// on...= event handler attribute, a javascript: URL. "" when there is none, else
// the first one found.
inline std::string inline_code(const std::string& html) {
    std::size_t i = 0;
    while ((i = html.find('<', i)) != std::string::npos) {
        std::size_t end = html.find('>', i);
        if (end == std::string::npos) return "unterminated tag at " + std::to_string(i);
        std::string tag = html.substr(i + 1, end - i - 1);
        i = end;
        if (tag.empty() || tag[0] == '/' || tag[0] == '!') continue;
        std::size_t p = tag.find_first_of(" \n");
        std::string name = tag.substr(0, p);
        if (name == "style") return "a <style> element";
        bool has_src = false;
        // The attributes: NAME, NAME=VALUE, NAME="VALUE" or NAME='VALUE'.
        while (p != std::string::npos && p < tag.size()) {
            p = tag.find_first_not_of(" \n", p);
            if (p == std::string::npos) break;
            std::size_t name_end = tag.find_first_of(" \n=", p);
            std::string attr = tag.substr(p, name_end - p);
            std::string value;
            p = name_end;
            if (p != std::string::npos && tag[p] == '=') {
                ++p;
                char quote = p < tag.size() ? tag[p] : ' ';
                if (quote == '"' || quote == '\'') {
                    std::size_t close = tag.find(quote, p + 1);
                    value = tag.substr(p + 1, close - p - 1);
                    p = close == std::string::npos ? close : close + 1;
                } else {
                    std::size_t stop = tag.find_first_of(" \n", p);
                    value = tag.substr(p, stop - p);
                    p = stop;
                }
            }
            if (attr == "style") return "a style attribute in <" + tag + ">";
            if (attr.size() > 2 && attr.rfind("on", 0) == 0) {
                return "an event handler attribute in <" + tag + ">";
            }
            if (value.rfind("javascript:", 0) == 0) return "a javascript: URL in <" + tag + ">";
            if (attr == "src") has_src = true;
        }
        if (name == "script") {
            if (!has_src) return "a <script> without src";
            if (html.compare(end + 1, 9, "</script>") != 0) return "a <script> with a body";
        }
    }
    return "";
}

}  // namespace markup
