// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nsrun::snapshot {

// What one scan could and could not see, filled where each read happens
// (like fsck, which reports what it could not check rather than "clean").
// Every negative or "complete" answer consults it, through complete(), and
// names what was not seen through unseen(): nowhere else decides that.
struct Coverage
{
  // Scan-wide blind spots, one line each: /proc not a procfs of the
  // caller's PID namespace, a PID namespace that is not the whole system,
  // the process list unreadable, the namespace list unproven...
  std::vector<std::string> blind;
  // Processes that exist but were not read whole, by the errno that
  // stopped the read ("EACCES", "EMFILE"...).
  std::map<std::string, std::vector<pid_t>> unread;
  // Mount namespaces (nsfs inode, or kernel id when only the kernel's list
  // names them) whose mount table could not be read.
  std::vector<std::string> tables_unread;
  // Why the host's namespace (PID 1's) is not known; answers that compare
  // with the host (leaks, check, tree, metrics) cannot rest on a guess.
  std::optional<std::string> host_unproven;
  // How the mount namespaces were enumerated ("the kernel's list", "an id
  // probe"), or the documented exception when neither is available.
  std::string namespaces_via;
  std::optional<std::string> caveat;

  // Whether an answer needs to know which namespace is the host's.
  enum class Needs { Holders, Host };

  void unread_process(pid_t pid, int error);
  // Nothing was left unseen that this kind of answer depends on.
  [[nodiscard]] bool complete(Needs needs = Needs::Host) const;
  // One line per thing not seen, for texts, JSON and logs.
  [[nodiscard]] std::vector<std::string> unseen(Needs needs = Needs::Host) const;
  // How many things were not seen (processes, tables, blind spots).
  [[nodiscard]] std::size_t unseen_count(Needs needs = Needs::Host) const;
  [[nodiscard]] std::size_t unread_processes() const;
};

} // namespace nsrun::snapshot
