#pragma once
// The CSS and JavaScript of the pages: the files of assets/, compiled in at build
// time and served at /assets/NAME-HASH.ext, where HASH is the first 10 hex digits
// of the SHA-256 of the file's bytes. A new build with a changed file has a new URL,
// so an answer may be cached for good. Pages hold no inline script or style, so a
// Content-Security-Policy without 'unsafe-inline' fits them.
#include <span>
#include <string>
#include <string_view>

namespace asyncpage::render {

struct Asset {
    std::string name;          // the file name in assets/: "job.js"
    std::string url;           // "/assets/job-0123456789.js"
    std::string content_type;  // "text/javascript; charset=utf-8"
    std::string_view body;     // the file's bytes
};

// Every asset, in file name order.
std::span<const Asset> assets();
// The asset served at `path` ("/assets/job-0123456789.js"); null for an unknown
// name or a hash that is not the current one.
const Asset* find_asset(std::string_view path);
// The URL of assets/`name`; throws std::logic_error when there is no such file
// (a page names a file that was removed).
const std::string& asset_url(std::string_view name);

// The headers of an asset answer: cached for a year and never revalidated (the URL
// changes with the bytes), and its Content-Type taken as given (every answer carries
// X-Content-Type-Options: nosniff, http/security.hpp).
inline constexpr std::string_view kAssetHeaders =
    "Cache-Control: public, max-age=31536000, immutable\r\n";

namespace detail {
// One file as CMake embeds it (generated assets.cpp).
struct EmbeddedAsset {
    std::string_view name;
    std::string_view hash;
    std::string_view bytes;
};
std::span<const EmbeddedAsset> embedded_assets();
}  // namespace detail

}  // namespace asyncpage::render
