#include "commands/load/load.hpp"
#include "commands/load/scenario.hpp"
#include "core/error.hpp"
#include "core/redact.hpp"

#include <fmt/format.h>
#include <thread>

namespace golfops::commands::load {

core::load::Plan plan_for(const LoadOptions& options, std::string user_agent) {
  core::load::Plan plan;
  plan.user_agent = std::move(user_agent);
  if (!options.scenario.empty()) {
    plan.display = options.scenario.string();
    plan.origin = options.scenario_requests.origin;
    plan.requests = options.scenario_requests.requests;
  } else {
    auto [origin, target] = core::load::split_url(options.url, "URL");
    // Reports get shared: a token in the query stays out of them.
    plan.display = core::redact_url(options.url);
    plan.origin = origin;
    auto request = options.request;
    request.target = target;
    request.name =
        fmt::format("{} {}", request.method, core::load::split_url(plan.display, "URL").second);
    plan.requests.push_back(std::move(request));
  }
  plan.origin.ca_file = options.ca_file;
  plan.origin.insecure = options.insecure;
  plan.connections = options.connections;
  // One thread per two cores by default: on one machine with the server,
  // the server keeps the other half; the self-check says when to add more.
  auto cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  plan.threads = std::min(options.threads.value_or(std::max(1, cores / 2)), plan.connections);
  plan.count = options.count;
  plan.connect_timeout = options.connect_timeout;
  plan.timeout = options.timeout;
  plan.keepalive = options.keepalive;
  if (options.rate) {
    std::vector<core::load::Stage> stages = options.ramp;
    std::chrono::nanoseconds ramped{0};
    for (const auto& stage : stages) {
      ramped += stage.duration;
    }
    auto total = options.duration.count() > 0 ? std::chrono::nanoseconds(options.duration)
                                              : std::chrono::nanoseconds(0);
    if (options.count > 0 && options.duration.count() == 0) {
      // -n with --rate: as long as the count takes at the rate.
      total =
          ramped +
          std::chrono::nanoseconds(
              static_cast<std::int64_t>(static_cast<double>(options.count) / *options.rate * 1e9) +
              1);
    }
    if (total > ramped) {
      stages.push_back({total - ramped, *options.rate});
    }
    plan.schedule.emplace(options.ramp.empty() ? *options.rate : 0.0, std::move(stages));
  } else {
    plan.duration = options.duration;
  }
  return plan;
}

} // namespace golfops::commands::load
