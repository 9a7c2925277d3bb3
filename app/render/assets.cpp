// The asset table: URLs and content types for the files CMake embedded from
// assets/ (generated assets.cpp), and the lookup the /assets/ route uses.
#include "render/assets.hpp"

#include <stdexcept>
#include <vector>

namespace asyncpage::render {
namespace {

std::string content_type_of(std::string_view name) {
    if (name.ends_with(".css")) return "text/css; charset=utf-8";
    if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
    throw std::logic_error("asset " + std::string(name) + ": no content type for its extension");
}

std::vector<Asset> build_table() {
    std::vector<Asset> table;
    for (const auto& file : detail::embedded_assets()) {
        auto dot = file.name.rfind('.');
        std::string url = "/assets/";
        url += file.name.substr(0, dot);
        url += '-';
        url += file.hash;
        url += file.name.substr(dot);
        table.push_back(
            {std::string(file.name), std::move(url), content_type_of(file.name), file.bytes});
    }
    return table;
}

}  // namespace

std::span<const Asset> assets() {
    static const std::vector<Asset> table = build_table();
    return table;
}

const Asset* find_asset(std::string_view path) {
    for (const Asset& a : assets()) {
        if (a.url == path) return &a;
    }
    return nullptr;
}

const std::string& asset_url(std::string_view name) {
    for (const Asset& a : assets()) {
        if (a.name == name) return a.url;
    }
    throw std::logic_error("no asset named " + std::string(name) + " in assets/");
}

}  // namespace asyncpage::render
