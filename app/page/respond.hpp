#pragma once
// Error answers in the request's format: JSON {"error":..}, a small HTML page, or
// plain text for CSV clients. Never cached.
#include <string_view>

#include "fcgi/request.hpp"

namespace asyncpage::page {

void respond_error(fcgi::Request& request, http::Format format, int status,
                   std::string_view message, std::string_view param = {},
                   std::string_view extra_headers = {});

}  // namespace asyncpage::page
