// The link prefix of the request being rendered (see url_base.hpp).
#include "render/url_base.hpp"

#include <utility>

namespace asyncpage::render {
namespace {
thread_local std::string current;
}  // namespace

const std::string& url_base() {
    return current;
}

UrlBase::UrlBase(std::string base) : previous_(std::exchange(current, std::move(base))) {}

UrlBase::~UrlBase() {
    current = std::move(previous_);
}

}  // namespace asyncpage::render
