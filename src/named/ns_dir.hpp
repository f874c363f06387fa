// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "sys/fd.hpp"

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

namespace nsrun::named {

// How long --name, release and list wait for another nsrun holding the
// directory's lock before they give up (documented in the man page).
inline constexpr std::chrono::seconds kLockWait{10};

// What is at DIR/NAME.
enum class EntryKind {
  Missing,  // nothing
  Live,     // a live mount namespace's file is bound there
  OurFile,  // the empty root-only file nsrun made, with no namespace on it (stale)
  InTheWay, // anything else: nsrun neither uses nor removes it
};

struct Entry
{
  EntryKind kind = EntryKind::Missing;
  sys::Fd place;   // O_PATH on what was judged (every later step goes through it)
  sys::Fd ns;      // Live: an fd on the namespace, for setns(2)
  ino_t inode = 0; // Live: the namespace's inode (mnt:[INODE])
  std::string why; // InTheWay: what it is, for the message
};

// The directory of namespace files, opened once with O_NOFOLLOW and checked
// (a real directory owned by root or the caller, writable by nobody else);
// every later step goes through its fd (openat, fstatat, /proc/self/fd
// paths for mount(2)), so no rename or symlink swap can redirect a mount or
// an unmount. Throws sys::SystemError with the reason otherwise.
class NsDir
{
public:
  enum class Create { IfMissing, No };

  // nullopt when the directory does not exist and create is No.
  static std::optional<NsDir> open(const std::string& path, Create create);

  [[nodiscard]] const std::string& path() const { return m_path; }
  [[nodiscard]] int fd() const { return m_dir.get(); }

  // Takes the directory's lock (DIR/.lock, mode 0600), waiting at most
  // kLockWait for another holder; throws naming the holder's pid after that.
  // Held until this object goes, or until exec closes it.
  void lock();

  // Namespace files must be bound on a private mount: on a shared one the
  // kernel refuses (EINVAL), and the binding would propagate into other
  // namespaces, possibly the named one, which would then keep itself alive.
  // Makes DIR a private bind mount of itself when it is not a mount point;
  // accepts such a self-bind made earlier (making it private again); refuses
  // "/" and any other mount point, whose propagation is not nsrun's to
  // change.
  void make_private_mount();

  // Unmounts the self-bind if this object made it and nothing is bound in
  // it; for failures before anything was persisted. Never throws.
  void undo_private_mount() noexcept;

  [[nodiscard]] Entry inspect(const std::string& name) const;

  // Creates the empty, mode 0400 file a namespace is bound on (nsrun's
  // marker: it mounts over nothing else) and returns an fd on it.
  [[nodiscard]] sys::Fd create_mount_point(const std::string& name) const;

  // An O_PATH fd on DIR/NAME, not following a symbolic link.
  [[nodiscard]] sys::Fd open_path(const std::string& name) const;

  // Binds the namespace behind ns_fd on the marker behind place (an fd
  // from create_mount_point or inspect: never a name looked up again), then
  // checks that DIR/NAME shows it. Returns errno (0 on success); throws
  // sys::StateError, with the binding undone, when the marker was renamed
  // away in between.
  [[nodiscard]] int bind(int ns_fd, int place, const std::string& name) const;

  // Unmounts the namespace bound at DIR/NAME, through the fd that judged it
  // (and those below it: bindings can be stacked), only while it is the one
  // with inode `only` (0: any). The marker under them stays: Linux has no
  // unlink that removes only the file nsrun checked, and a check followed by
  // an unlink by name loses to a rename in between; --name reuses it.
  // Returns what is left at DIR/NAME.
  EntryKind unbind(const std::string& name, ino_t only = 0) const;

private:
  NsDir(std::string path, sys::Fd parent, sys::Fd dir);

  std::string m_path;
  std::string m_base; // last component of m_path
  sys::Fd m_parent;   // O_PATH on the parent directory
  sys::Fd m_dir;
  sys::Fd m_lock;
  bool m_made_bind = false;
};

// Whether name is the name of something in DIR that list and the launcher's
// cleanup should look at: not ".", "..", or the lock file.
[[nodiscard]] bool is_entry_name(const char* name);

} // namespace nsrun::named
