// SPDX-License-Identifier: Apache-2.0
#include "support/pipe.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <utility>

namespace nsrun::test {

Pipe::Pipe()
{
  if (::pipe2(m_fds, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
}

Pipe::~Pipe()
{
  close_read();
  close_write();
}

void Pipe::close_read()
{
  if (m_fds[0] >= 0) {
    ::close(m_fds[0]);
    m_fds[0] = -1;
  }
}

void Pipe::close_write()
{
  if (m_fds[1] >= 0) {
    ::close(m_fds[1]);
    m_fds[1] = -1;
  }
}

std::optional<std::string> Pipe::read_line(std::chrono::milliseconds timeout)
{
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto newline = m_buffer.find('\n');
    if (newline != std::string::npos) {
      std::string line = m_buffer.substr(0, newline);
      m_buffer.erase(0, newline + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    pollfd pfd{m_fds[0], POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      return std::nullopt;
    }
    char chunk[1024];
    const ssize_t n = ::read(m_fds[0], chunk, sizeof chunk);
    if (n <= 0) {
      return std::nullopt;
    }
    m_buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string Pipe::read_all(std::chrono::milliseconds timeout)
{
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    pollfd pfd{m_fds[0], POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      break;
    }
    char chunk[4096];
    const ssize_t n = ::read(m_fds[0], chunk, sizeof chunk);
    if (n <= 0) {
      break;
    }
    m_buffer.append(chunk, static_cast<std::size_t>(n));
  }
  return std::exchange(m_buffer, {});
}

void Pipe::write_line(const std::string& line)
{
  const std::string data = line + "\n";
  if (::write(m_fds[1], data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
    throw std::runtime_error("write to pipe failed");
  }
}

} // namespace nsrun::test
