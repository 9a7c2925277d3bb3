#pragma once
// The prefix of every absolute link a page holds: "" when the site is at the
// root, "/sub" when nginx mounts it under /sub/ (http::mount_prefix; README,
// "Mounting under a prefix"). A worker renders on its one thread, one call at a
// time, so the request's prefix is set around a render call (UrlBase) instead of
// being passed through every rendering function.
#include <string>

namespace asyncpage::render {

// The prefix of the request being rendered ("" outside a UrlBase).
const std::string& url_base();

// Sets url_base() for its lifetime; restores the previous one at the end.
class UrlBase {
  public:
    explicit UrlBase(std::string base);
    ~UrlBase();
    UrlBase(const UrlBase&) = delete;
    UrlBase& operator=(const UrlBase&) = delete;

  private:
    std::string previous_;
};

}  // namespace asyncpage::render
