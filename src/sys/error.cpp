// SPDX-License-Identifier: Apache-2.0
#include "sys/error.hpp"

#include <cstring>
#include <string>

namespace nsrun::sys {

SystemError::SystemError(int err, std::string action, std::string hint)
    : std::system_error(err, std::generic_category()),
      m_action(std::move(action)),
      m_hint(std::move(hint))
{
  // strerror, not code().message(): the latter goes through std::string
  // machinery we do not need, and both read the same table.
  m_message = m_action + ": " + std::strerror(err);
  if (!m_hint.empty()) {
    m_message += " (" + m_hint + ")";
  }
}

std::string errno_name(int err)
{
  const char* name = ::strerrorname_np(err);
  return name != nullptr ? std::string(name) : "errno " + std::to_string(err);
}

bool is_namespace_refusal(int err) noexcept
{
  return err == EPERM || err == EACCES || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP;
}

void throw_namespace_error(int err, std::string action, std::string hint)
{
  if (is_namespace_refusal(err)) {
    throw NamespaceRefused(err, std::move(action), std::move(hint));
  }
  throw SystemError(err, std::move(action), std::move(hint));
}

} // namespace nsrun::sys
