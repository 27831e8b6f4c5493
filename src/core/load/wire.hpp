#pragma once

#include "core/load/plan.hpp"

#include <string>
#include <string_view>

namespace golfops::core::load {

// The bytes of one HTTP/1.1 request, encoded once before the run so
// sending costs a write and nothing else. Host, User-Agent, Accept and
// Content-Length are added unless the request sets them.
std::string encode_request(const RequestSpec& request,
                           const Origin& origin,
                           std::string_view user_agent,
                           bool keepalive);

} // namespace golfops::core::load
