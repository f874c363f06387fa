// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>

// nsrun's one logger: stderr, "nsrun: LEVEL: message", no timestamps (init
// systems and journald add their own), synchronous (nsrun execs). When
// stderr is the journal (JOURNAL_STREAM), each line starts with its syslog
// priority ("<3>" for errors), so that `journalctl -p err` finds it.
// Messages are made printable on the way out: no raw control byte from a
// name, path or argument ever reaches a terminal or the journal.
namespace nsrun::log {

// -q is -1, nothing is 0 (warnings and errors), each -v adds a level:
// 1 info, 2 debug, 3 and more trace.
void set_verbosity(int verbosity) noexcept;

// spdlog's levels, named here so that only log.cpp includes spdlog.
enum class Level { trace, debug, info, warn, err };

[[nodiscard]] bool enabled(Level level) noexcept;

// Whether stderr is the journal, as sd-daemon(3) tells: JOURNAL_STREAM names
// the device and inode of the stream systemd connected.
[[nodiscard]] bool stderr_is_journal(const char* journal_stream) noexcept;

void write(Level level, std::string_view message);

template<typename... Args>
void trace(fmt::format_string<Args...> format, Args&&... args)
{
  if (enabled(Level::trace)) {
    write(Level::trace, fmt::format(format, std::forward<Args>(args)...));
  }
}

template<typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args)
{
  if (enabled(Level::debug)) {
    write(Level::debug, fmt::format(format, std::forward<Args>(args)...));
  }
}

template<typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args)
{
  if (enabled(Level::info)) {
    write(Level::info, fmt::format(format, std::forward<Args>(args)...));
  }
}

template<typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args)
{
  if (enabled(Level::warn)) {
    write(Level::warn, fmt::format(format, std::forward<Args>(args)...));
  }
}

template<typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args)
{
  if (enabled(Level::err)) {
    write(Level::err, fmt::format(format, std::forward<Args>(args)...));
  }
}

} // namespace nsrun::log
