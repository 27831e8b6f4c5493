#pragma once

#include "core/error.hpp"

#include <string_view>

namespace golfops::core::checks {

// Why a check failed: the fixed list monitoring systems alert on, the same
// in every locale. The first group says the target could not be used at all.
enum class Reason {
  none,
  dns,
  connect,
  tls,
  timeout,
  auth,    // credentials refused (not an outage)
  refused, // the server answered but would not serve (starting up, no such database)
  status,  // http: unexpected status code
  body,
  header,
  latency,
  certificate, // expires too soon
  query,       // a query or command answered wrongly (postgres, redis)
  space,       // disk
  stale,       // backup: no verified backup, or the newest is too old
};

// "dns", "connect", ...; "" for none.
std::string_view to_string(Reason reason);

// The reason for a client failure (a dependency that could not be used).
Reason reason_for(Failure failure);

// dns, connect, tls, timeout: nothing answered.
bool is_unreachable(Reason reason);

} // namespace golfops::core::checks
