// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace nsrun::test {

// A pipe for talking to a child: both ends close-on-exec (hand one end over
// with RunOptions::fds), closed on destruction.
class Pipe
{
public:
  Pipe();
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe();

  [[nodiscard]] int read_end() const { return m_fds[0]; }
  [[nodiscard]] int write_end() const { return m_fds[1]; }
  void close_read();
  void close_write();

  // Reads up to and without the next newline; nullopt on EOF or timeout.
  std::optional<std::string>
  read_line(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Reads everything until EOF (or timeout).
  std::string read_all(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void write_line(const std::string& line);

private:
  int m_fds[2] = {-1, -1};
  std::string m_buffer;
};

} // namespace nsrun::test
