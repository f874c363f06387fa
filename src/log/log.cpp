// SPDX-License-Identifier: Apache-2.0
#include "log/log.hpp"

#include "text/escape.hpp"
#include "text/number.hpp"

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>

namespace nsrun::log {
namespace {

std::atomic<Level> g_level{Level::warn};

Level level_for(int verbosity) noexcept
{
  if (verbosity < 0) {
    return Level::err;
  }
  switch (verbosity) {
  case 0:
    return Level::warn;
  case 1:
    return Level::info;
  case 2:
    return Level::debug;
  default:
    return Level::trace;
  }
}

spdlog::level::level_enum spdlog_level(Level level) noexcept
{
  switch (level) {
  case Level::trace:
    return spdlog::level::trace;
  case Level::debug:
    return spdlog::level::debug;
  case Level::info:
    return spdlog::level::info;
  case Level::warn:
    return spdlog::level::warn;
  case Level::err:
    break;
  }
  return spdlog::level::err;
}

// "<3>" and friends: the syslog priority journald reads off a line's start.
class PriorityFlag final : public spdlog::custom_flag_formatter
{
public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/,
              spdlog::memory_buf_t& dest) override
  {
    std::string_view prefix;
    switch (msg.level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      prefix = "<7>";
      break;
    case spdlog::level::info:
      prefix = "<6>";
      break;
    case spdlog::level::warn:
      prefix = "<4>";
      break;
    case spdlog::level::err:
      prefix = "<3>";
      break;
    default:
      prefix = "<2>";
      break;
    }
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override
  {
    return std::make_unique<PriorityFlag>();
  }
};

} // namespace

void set_verbosity(int verbosity) noexcept
{
  g_level = level_for(verbosity);
}

bool enabled(Level level) noexcept
{
  return level >= g_level.load(std::memory_order_relaxed);
}

bool stderr_is_journal(const char* journal_stream) noexcept
{
  if (journal_stream == nullptr) {
    return false;
  }
  const auto stream = text::parse_pair<unsigned long long>(journal_stream);
  struct stat st = {};
  return stream && ::fstat(STDERR_FILENO, &st) == 0 && st.st_dev == stream->first &&
         st.st_ino == stream->second;
}

namespace {

// Built on first use so that a silent launch never constructs it.
spdlog::logger& logger()
{
  // Not registered with spdlog's registry: nothing else needs to find it, and
  // the registry would build a default stdout logger we never use. The sink
  // flushes every line, so nothing is lost when we exec; it takes a lock,
  // because nsrun-inspect reads namespaces on several threads.
  static spdlog::logger instance = [] {
    spdlog::logger made("nsrun", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<PriorityFlag>('*');
    formatter->set_pattern(stderr_is_journal(std::getenv("JOURNAL_STREAM")) ? "%*%n: %l: %v"
                                                                            : "%n: %l: %v");
    made.set_formatter(std::move(formatter));
    made.set_level(spdlog::level::trace);
    return made;
  }();
  return instance;
}

} // namespace

void write(Level level, std::string_view message)
{
  logger().log(spdlog_level(level), "{}", text::printable_keeping_backslashes(message));
}

} // namespace nsrun::log
