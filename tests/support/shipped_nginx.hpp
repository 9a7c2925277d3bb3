#pragma once
// The shipped site (nginx/asyncpage.conf, what `scripts/install` puts in
// sites-available) run for real: its text is used as it is, except for the
// three lines an installation differs in (the upstream socket, `listen 80` and
// `listen [::]:80`), inside a minimal nginx.conf shaped like Debian's (an http
// block that includes the site). Every substitution must match exactly once, so
// an edit of the shipped file that moves those lines fails loudly.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>

#include "support/nginx.hpp"

namespace support {

// nginx/asyncpage.conf of the source tree.
std::filesystem::path shipped_site();

// The shipped site's text with the socket and port substituted (throws when a
// line to substitute is not there exactly once).
std::string render_shipped_site(const std::string& site, const std::filesystem::path& socket,
                                int port);

// nginx with the shipped site, in a minimal nginx.conf shaped like Debian's.
class ShippedNginx : public Nginx {
  public:
    // A deployment's own lines (an auth recipe, a stand-in SSO): may edit the
    // rendered site text, append to the http block, and write files into the prefix.
    using Adjust = std::function<void(std::string& site, std::string& http_extra,
                                      const std::filesystem::path& prefix)>;
    explicit ShippedNginx(const std::filesystem::path& socket, Adjust adjust = {});
};

}  // namespace support
