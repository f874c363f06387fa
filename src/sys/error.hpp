// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

// nsrun's error model (see src/README.md): a UsageError for a wrong
// command line or argument, a SystemError for a system call that failed, and one
// subclass of it, NamespaceRefused, for the kernel refusing the namespace
// itself, which is the only failure --best-effort may run unisolated after;
// a StateError for a state nsrun refuses to act on; and IsolationError
// (launch/) for a namespace that is not isolated as asked.
namespace nsrun::sys {

// A wrong command line or argument, in the user's words: the message is one
// line without the "nsrun: " prefix; the caller adds where to find help.
class UsageError : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

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

// unshare(2), the propagation change or setns(2) refused by the kernel, a
// seccomp filter or an LSM (EPERM, EACCES, EINVAL, ENOSYS, EOPNOTSUPP): the
// system does not permit a mount namespace here. systemd's namespace.c
// treats exactly these as "continue without namespacing" (-ENOANO).
class NamespaceRefused : public SystemError
{
public:
  using SystemError::SystemError;
};

// The system is in a state nsrun will not act on: a file in the way, a
// directory others could tamper with, a lock another process holds. Not a
// failed call, so no errno; the message says what and why.
class StateError : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

// "EACCES" for EACCES: the symbolic name operators grep for; "errno N"
// for one glibc does not know.
[[nodiscard]] std::string errno_name(int err);

// Whether err, from one of those three calls, means the kernel refused.
[[nodiscard]] bool is_namespace_refusal(int err) noexcept;

// Throws NamespaceRefused when is_namespace_refusal(err), else SystemError.
[[noreturn]] void throw_namespace_error(int err, std::string action, std::string hint = {});

} // namespace nsrun::sys
