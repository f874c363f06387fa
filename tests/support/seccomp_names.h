// SPDX-License-Identifier: Apache-2.0
// What the seccomp helpers (fake_syscall.c, fail_nth.c) share: this
// architecture's audit value, and looking a name up in a table of names.
#pragma once

#include <linux/audit.h>
#include <stddef.h>
#include <string.h>

#if defined(__x86_64__)
#  define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#  define ARCH AUDIT_ARCH_AARCH64
#else
#  error "add this architecture's AUDIT_ARCH"
#endif

struct known
{
  const char* name;
  long number;
};

// The number for name in table, or -1.
static inline long lookup(const struct known* table, size_t count, const char* name)
{
  for (size_t i = 0; i < count; ++i) {
    if (strcmp(table[i].name, name) == 0) {
      return table[i].number;
    }
  }
  return -1;
}
