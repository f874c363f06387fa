// SPDX-License-Identifier: Apache-2.0
#include "snapshot/mount_table.hpp"

#include "mountinfo/line_parser.hpp"

#include <libmount/libmount.h>

#include <sys/sysmacros.h>

#include <cstdio>
#include <memory>
#include <string>

namespace nsrun::snapshot {
namespace {

struct TableDeleter
{
  void operator()(libmnt_table* t) const { mnt_unref_table(t); }
};
struct IterDeleter
{
  void operator()(libmnt_iter* i) const { mnt_free_iter(i); }
};
struct FileDeleter
{
  void operator()(FILE* f) const { std::fclose(f); }
};

std::string text_or_empty(const char* text)
{
  return text != nullptr ? std::string(text) : std::string();
}

int count_and_skip(libmnt_table* table, const char* /*filename*/, int /*line*/)
{
  auto* counter = static_cast<int*>(mnt_table_get_userdata(table));
  ++*counter;
  return 1; // skip the line, keep parsing
}

mountinfo::Propagation propagation_of(libmnt_fs* fs)
{
  mountinfo::Propagation p;
  const std::string fields = text_or_empty(mnt_fs_get_optional_fields(fs));
  std::size_t start = 0;
  while (start < fields.size()) {
    auto end = fields.find(' ', start);
    if (end == std::string::npos) {
      end = fields.size();
    }
    mountinfo::parse_optional_field(std::string_view(fields).substr(start, end - start), p);
    start = end + 1;
  }
  return p;
}

} // namespace

ParsedTable parse_mountinfo(std::string_view text)
{
  ParsedTable result;
  if (text.empty()) {
    return result;
  }
  // fmemopen on a copy: libmount reads from a FILE*, and the text need not
  // be NUL-terminated.
  std::string copy(text);
  const std::unique_ptr<FILE, FileDeleter> stream(fmemopen(copy.data(), copy.size(), "r"));
  const std::unique_ptr<libmnt_table, TableDeleter> table(mnt_new_table());
  const std::unique_ptr<libmnt_iter, IterDeleter> iter(mnt_new_iter(MNT_ITER_FORWARD));
  if (!stream || !table || !iter) {
    return result;
  }
  mnt_table_set_userdata(table.get(), &result.malformed_lines);
  mnt_table_set_parser_errcb(table.get(), count_and_skip);
  mnt_table_parse_stream(table.get(), stream.get(), "mountinfo");

  libmnt_fs* fs = nullptr;
  while (mnt_table_next_fs(table.get(), iter.get(), &fs) == 0) {
    mountinfo::MountEntry entry;
    entry.id = static_cast<std::uint64_t>(mnt_fs_get_id(fs));
    entry.parent_id = static_cast<std::uint64_t>(mnt_fs_get_parent_id(fs));
    const dev_t devno = mnt_fs_get_devno(fs);
    entry.major = major(devno);
    entry.minor = minor(devno);
    entry.root = text_or_empty(mnt_fs_get_root(fs));
    entry.target = text_or_empty(mnt_fs_get_target(fs));
    entry.vfs_options = text_or_empty(mnt_fs_get_vfs_options(fs));
    entry.propagation = propagation_of(fs);
    entry.fstype = text_or_empty(mnt_fs_get_fstype(fs));
    entry.source = text_or_empty(mnt_fs_get_source(fs));
    entry.fs_options = text_or_empty(mnt_fs_get_fs_options(fs));
    result.mounts.push_back(std::move(entry));
  }
  return result;
}

} // namespace nsrun::snapshot
