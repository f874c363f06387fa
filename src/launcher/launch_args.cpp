// SPDX-License-Identifier: Apache-2.0
#include "launcher/launch_args.hpp"

#include "named/naming.hpp"

#include <string>

namespace nsrun::launcher {
namespace {

class Parser
{
public:
  Parser(int argc, char* const* argv) : m_argc(argc), m_argv(argv) {}

  ParsedArgs run()
  {
    while (m_index < m_argc) {
      const std::string_view word = m_argv[m_index];
      if (word == "--") {
        ++m_index;
        break;
      }
      if (word.size() < 2 || word[0] != '-') {
        break; // the command
      }
      ++m_index;
      if (word[1] == '-') {
        long_option(word.substr(2));
      } else {
        short_options(word.substr(1));
      }
      if (m_result.action != Action::Launch) {
        return m_result; // --help and --version win over everything else
      }
    }
    if (m_quiet && m_verbose > 0) {
      throw UsageError("-q and -v cannot be combined");
    }
    m_result.launch.verbosity = m_quiet ? -1 : m_verbose;
    if (m_result.launch.ns_dir && !m_result.launch.name) {
      throw UsageError("--ns-dir only applies to named namespaces: add --name NAME");
    }
    if (m_index >= m_argc) {
      throw UsageError("no command given");
    }
    m_result.launch.command = m_argv + m_index;
    return m_result;
  }

private:
  void long_option(std::string_view body)
  {
    const auto equals = body.find('=');
    const std::string_view name = body.substr(0, equals);
    const bool has_value = equals != std::string_view::npos;
    const std::string_view inline_value = has_value ? body.substr(equals + 1) : std::string_view{};

    auto flag = [&] {
      if (has_value) {
        throw UsageError("option '--" + std::string(name) + "' takes no value");
      }
    };
    if (name == "propagation") {
      set_propagation(has_value ? inline_value : value_for("--propagation"));
    } else if (name == "name") {
      set_name(has_value ? inline_value : value_for("--name"));
    } else if (name == "ns-dir") {
      m_result.launch.ns_dir = has_value ? inline_value : value_for("--ns-dir");
    } else if (name == "best-effort") {
      flag();
      m_result.launch.best_effort = true;
    } else if (name == "verbose") {
      flag();
      ++m_verbose;
    } else if (name == "quiet") {
      flag();
      m_quiet = true;
    } else if (name == "help") {
      flag();
      m_result.action = Action::Help;
    } else if (name == "version") {
      flag();
      m_result.action = Action::Version;
    } else {
      throw UsageError("unknown option '--" + std::string(name) + "'");
    }
  }

  void short_options(std::string_view letters)
  {
    for (std::size_t i = 0; i < letters.size(); ++i) {
      switch (letters[i]) {
      case 'p':
        // "-pslave" or "-p slave"
        set_propagation(i + 1 < letters.size() ? letters.substr(i + 1) : value_for("-p"));
        return;
      case 'v':
        ++m_verbose;
        break;
      case 'q':
        m_quiet = true;
        break;
      case 'h':
        m_result.action = Action::Help;
        return;
      case 'V':
        m_result.action = Action::Version;
        return;
      default:
        throw UsageError("unknown option '-" + std::string(1, letters[i]) + "'");
      }
    }
  }

  std::string_view value_for(const char* option)
  {
    if (m_index >= m_argc) {
      throw UsageError(std::string("option '") + option + "' needs a value");
    }
    return m_argv[m_index++];
  }

  void set_propagation(std::string_view text)
  {
    m_result.launch.propagation = launch::parse_propagation_mode(text);
  }

  void set_name(std::string_view text)
  {
    if (auto problem = named::name_problem(text)) {
      throw UsageError(*problem);
    }
    m_result.launch.name = text;
  }

  int m_argc;
  char* const* m_argv;
  int m_index = 1;
  int m_verbose = 0;
  bool m_quiet = false;
  ParsedArgs m_result;
};

} // namespace

ParsedArgs parse_launch_args(int argc, char* const* argv)
{
  return Parser(argc, argv).run();
}

EnterArgs parse_enter_args(int argc, char* const* argv)
{
  EnterArgs result;
  bool quiet = false;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "-h" || word == "--help") {
      result.action = Action::Help;
      return result;
    }
    if (word == "--ns-dir" || word.rfind("--ns-dir=", 0) == 0) {
      if (word.size() > 8) {
        result.ns_dir = word.substr(9);
      } else if (i + 1 < argc) {
        result.ns_dir = std::string_view(argv[++i]);
      } else {
        throw UsageError("option '--ns-dir' needs a value");
      }
    } else if (word == "-v" || word == "--verbose") {
      ++result.verbosity;
    } else if (word == "-q" || word == "--quiet") {
      quiet = true;
    } else if (word == "--") {
      ++i;
      break;
    } else if (word.size() > 1 && word[0] == '-') {
      throw UsageError("unknown option '" + std::string(word) + "' for enter");
    } else {
      break;
    }
  }
  if (quiet && result.verbosity > 0) {
    throw UsageError("-q and -v cannot be combined");
  }
  if (quiet) {
    result.verbosity = -1;
  }
  if (i >= argc) {
    throw UsageError("enter needs the NAME of a namespace");
  }
  const std::string_view name = argv[i++];
  if (auto problem = named::name_problem(name)) {
    throw UsageError(*problem);
  }
  result.name = name;
  if (i < argc && std::string_view(argv[i]) == "--") {
    ++i;
  }
  result.command = i < argc ? argv + i : nullptr;
  return result;
}

} // namespace nsrun::launcher
