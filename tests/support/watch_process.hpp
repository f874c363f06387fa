// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "support/pipe.hpp"
#include "support/process.hpp"

#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <string>
#include <utility>
#include <vector>

namespace nsrun::test {

// A running `nsrun watch --json`, its events read line by line.
class Watch
{
public:
  Watch(const std::vector<std::string>& args, const std::vector<std::string>& env,
        const std::vector<std::string>& prefix = {})
  {
    std::vector<std::string> argv = prefix;
    argv.push_back(nsrun_binary());
    argv.insert(argv.end(), {"watch", "--json", "-v"});
    argv.insert(argv.end(), args.begin(), args.end());
    auto environment = current_environment();
    environment.insert(environment.end(), env.begin(), env.end());
    m_process =
        spawn(argv, {.env = environment, .fds = {{1, m_out.write_end()}, {2, m_err.write_end()}}});
    m_out.close_write();
    m_err.close_write();
    // It says which mode once it has taken its first look: from then on
    // every change is an event.
    for (auto line = m_err.read_line(std::chrono::seconds(20)); line;
         line = m_err.read_line(std::chrono::seconds(20))) {
      m_log += *line + "\n";
      if (line->find("watching with") != std::string::npos) {
        break;
      }
    }
  }

  // The next event of this kind, skipping others; null after the timeout.
  nlohmann::json next(const std::string& kind,
                      std::chrono::seconds timeout = std::chrono::seconds(10))
  {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      const auto line = m_out.read_line(left);
      if (!line) {
        break;
      }
      auto event = nlohmann::json::parse(*line);
      m_seen.push_back(*line);
      if (event["event"] == kind) {
        return event;
      }
    }
    return nullptr;
  }

  // Stops it with SIGTERM; its exit status and what it logged.
  std::pair<int, std::string> stop()
  {
    ::kill(m_process.pid(), SIGTERM);
    const auto status = m_process.wait(std::chrono::seconds(10));
    return {status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1,
            m_log + m_err.read_all(std::chrono::seconds(2))};
  }

  [[nodiscard]] std::string seen() const
  {
    std::string all;
    for (const auto& line : m_seen) {
      all += line + "\n";
    }
    return all;
  }

private:
  Pipe m_out;
  Pipe m_err;
  Process m_process;
  std::vector<std::string> m_seen;
  std::string m_log;
};

} // namespace nsrun::test
