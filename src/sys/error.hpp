#pragma once

#include <cerrno>
#include <string>
#include <system_error>

namespace nsrun::sys {

// A failed system call: errno in the generic category, what we tried to do,
// and an optional hint for errnos that mislead ("Operation not permitted" on
// unshare really means "needs CAP_SYS_ADMIN").
class SystemError : public std::system_error
{
public:
  SystemError(int err, std::string action, std::string hint = {});

  [[nodiscard]] const char* what() const noexcept override { return m_message.c_str(); }
  [[nodiscard]] const std::string& action() const noexcept { return m_action; }
  [[nodiscard]] const std::string& hint() const noexcept { return m_hint; }

private:
  std::string m_action;
  std::string m_hint;
  std::string m_message;
};

// Throws SystemError with the current errno when rc is negative.
inline long check(long rc, const char* action)
{
  if (rc < 0) {
    throw SystemError(errno, action);
  }
  return rc;
}

} // namespace nsrun::sys
