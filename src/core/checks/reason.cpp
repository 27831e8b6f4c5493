#include "core/checks/reason.hpp"

namespace golfops::core::checks {

std::string_view to_string(Reason reason) {
  switch (reason) {
  case Reason::none:
    return "";
  case Reason::dns:
    return "dns";
  case Reason::connect:
    return "connect";
  case Reason::tls:
    return "tls";
  case Reason::timeout:
    return "timeout";
  case Reason::auth:
    return "auth";
  case Reason::refused:
    return "refused";
  case Reason::status:
    return "status";
  case Reason::body:
    return "body";
  case Reason::header:
    return "header";
  case Reason::latency:
    return "latency";
  case Reason::certificate:
    return "certificate";
  case Reason::query:
    return "query";
  case Reason::space:
    return "space";
  case Reason::stale:
    return "stale";
  }
  return "";
}

Reason reason_for(Failure failure) {
  switch (failure) {
  case Failure::dns:
    return Reason::dns;
  case Failure::tls:
    return Reason::tls;
  case Failure::timeout:
    return Reason::timeout;
  case Failure::auth:
    return Reason::auth;
  case Failure::refused:
    return Reason::refused;
  case Failure::none:
  case Failure::connect:
  case Failure::io:
    break;
  }
  return Reason::connect;
}

bool is_unreachable(Reason reason) {
  return reason == Reason::dns || reason == Reason::connect || reason == Reason::tls ||
         reason == Reason::timeout;
}

} // namespace golfops::core::checks
