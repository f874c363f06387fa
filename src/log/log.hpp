#pragma once

#include <spdlog/logger.h>

#include <utility>

// nsrun's one logger: stderr, "nsrun: LEVEL: message", no timestamps (init
// systems and journald add their own), synchronous (nsrun execs).
namespace nsrun::log {

// -q is -1, nothing is 0 (warnings and errors), each -v adds a level:
// 1 info, 2 debug, 3 and more trace.
void set_verbosity(int verbosity) noexcept;

[[nodiscard]] bool enabled(spdlog::level::level_enum level) noexcept;

// Built on first use so that a silent launch never constructs it.
spdlog::logger& logger();

template<typename... Args>
void trace(spdlog::format_string_t<Args...> format, Args&&... args)
{
  if (enabled(spdlog::level::trace)) {
    logger().trace(format, std::forward<Args>(args)...);
  }
}

template<typename... Args>
void debug(spdlog::format_string_t<Args...> format, Args&&... args)
{
  if (enabled(spdlog::level::debug)) {
    logger().debug(format, std::forward<Args>(args)...);
  }
}

template<typename... Args>
void info(spdlog::format_string_t<Args...> format, Args&&... args)
{
  if (enabled(spdlog::level::info)) {
    logger().info(format, std::forward<Args>(args)...);
  }
}

template<typename... Args>
void warn(spdlog::format_string_t<Args...> format, Args&&... args)
{
  if (enabled(spdlog::level::warn)) {
    logger().warn(format, std::forward<Args>(args)...);
  }
}

template<typename... Args>
void error(spdlog::format_string_t<Args...> format, Args&&... args)
{
  if (enabled(spdlog::level::err)) {
    logger().error(format, std::forward<Args>(args)...);
  }
}

} // namespace nsrun::log
