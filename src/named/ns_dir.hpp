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
  // marker: it removes or mounts over nothing else).
  void create_mount_point(const std::string& name) const;

  // An O_PATH fd on DIR/NAME, not following a symbolic link.
  [[nodiscard]] sys::Fd open_path(const std::string& name) const;

  // Binds the namespace behind ns_fd at DIR/NAME; returns errno (0 on success).
  [[nodiscard]] int bind(int ns_fd, const std::string& name) const;

  // Unmounts every namespace bound at DIR/NAME (bindings can be stacked),
  // then removes the file when it is nsrun's marker. Returns false when the
  // file was left because it is not nsrun's.
  bool unbind_and_remove(const std::string& name) const;

  // Removes nsrun's marker file at DIR/NAME (a stale one).
  void remove_marker(const std::string& name) const;

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
