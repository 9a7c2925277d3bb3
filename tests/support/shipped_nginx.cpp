// ShippedNginx: nginx/asyncpage.conf rendered into Nginx's temp prefix next to a
// copy of the stock fastcgi_params (the site includes it by a relative name).
#include "support/shipped_nginx.hpp"

#include <unistd.h>

#include <stdexcept>

#include "support/env.hpp"

namespace support {

namespace fs = std::filesystem;

namespace {

void replace_once(std::string& text, const std::string& from, const std::string& to) {
    size_t pos = text.find(from);
    if (pos == std::string::npos || text.find(from, pos + 1) != std::string::npos) {
        throw std::runtime_error("nginx/asyncpage.conf: expected exactly one \"" + from +
                                 "\"; update tests/support/shipped_nginx.cpp with the site");
    }
    text.replace(pos, from.size(), to);
}

}  // namespace

fs::path shipped_site() {
    return fs::path(ASYNCPAGE_SOURCE_DIR) / "nginx" / "asyncpage.conf";
}

std::string render_shipped_site(const std::string& site, const fs::path& socket, int port) {
    std::string out = site;
    replace_once(out, "server unix:/run/asyncpage/asyncpage.sock;",
                 "server unix:" + socket.string() + ";");
    replace_once(out, "    listen 80;\n", "    listen 127.0.0.1:" + std::to_string(port) + ";\n");
    replace_once(out, "    listen [::]:80;\n", "");
    return out;
}

ShippedNginx::ShippedNginx(const fs::path& socket, Adjust adjust)
    : Nginx(socket, [adjust](const fs::path& dir, int port, const fs::path& sock) {
          // The site includes fastcgi_params by a relative name: a copy beside it.
          write_file(dir / "fastcgi_params", read_file("/etc/nginx/fastcgi_params"));
          std::string site = render_shipped_site(read_file(shipped_site()), sock, port);
          // The site's cache directory is a system path: one in the test's prefix.
          replace_once(site, "fastcgi_cache_path /var/cache/nginx-asyncpage ",
                       "fastcgi_cache_path " + (dir / "fastcgi_cache").string() + " ");
          std::string extra;
          if (adjust) adjust(site, extra, dir);
          write_file(dir / "site.conf", site);
          const std::string prefix = dir.string();
          return std::string(geteuid() == 0 ? "user root;\n" : "") +
                 "daemon on;\nworker_processes 2;\npid " + prefix + "/nginx.pid;\nerror_log " +
                 prefix +
                 "/error.log warn;\nevents { worker_connections 1024; }\nhttp {\n"
                 "    include /etc/nginx/mime.types;\n"
                 "    default_type application/octet-stream;\n"
                 "    access_log " +
                 prefix +
                 "/access.log;\n"
                 "    client_body_temp_path " +
                 prefix +
                 "/client_body_temp;\n"
                 "    fastcgi_temp_path " +
                 prefix +
                 "/fastcgi_temp;\n"
                 "    proxy_temp_path " +
                 prefix +
                 "/proxy_temp;\n"
                 "    uwsgi_temp_path " +
                 prefix +
                 "/uwsgi_temp;\n"
                 "    scgi_temp_path " +
                 prefix +
                 "/scgi_temp;\n"
                 "    include " +
                 prefix + "/site.conf;\n" + extra + "}\n";
      }) {}

}  // namespace support
