#include "log/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <memory>

namespace nsrun::log {
namespace {

std::atomic<int> g_level{spdlog::level::warn};

spdlog::level::level_enum level_for(int verbosity) noexcept
{
  if (verbosity < 0) {
    return spdlog::level::err;
  }
  switch (verbosity) {
  case 0:
    return spdlog::level::warn;
  case 1:
    return spdlog::level::info;
  case 2:
    return spdlog::level::debug;
  default:
    return spdlog::level::trace;
  }
}

} // namespace

void set_verbosity(int verbosity) noexcept
{
  g_level = level_for(verbosity);
}

bool enabled(spdlog::level::level_enum level) noexcept
{
  return level >= g_level.load(std::memory_order_relaxed);
}

spdlog::logger& logger()
{
  // Not registered with spdlog's registry: nothing else needs to find it, and
  // the registry would build a default stdout logger we never use. The sink
  // flushes every line, so nothing is lost when we exec; it takes a lock,
  // because nsrun-inspect reads namespaces on several threads.
  static spdlog::logger instance = [] {
    spdlog::logger made("nsrun", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    made.set_pattern("%n: %l: %v", spdlog::pattern_time_type::utc);
    made.set_level(spdlog::level::trace);
    return made;
  }();
  return instance;
}

} // namespace nsrun::log
