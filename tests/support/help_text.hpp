// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <set>
#include <string>
#include <vector>

// Reading nsrun's --help texts the way the tests compare them with the
// parser, the man page and the shell completion.
namespace nsrun::test {

using Options = std::set<std::string>;

std::vector<std::string> lines_of(const std::string& text);

// The option names a help line starts with: "-p, --propagation=MODE",
// "--pid INT Excludes: ...", "-h,--help".
Options leading_options(const std::string& line);

// Options listed under "Options:" in a --help text, one set per line: the
// spellings of one option ("-v", "--verbose"). A line that starts further
// in than an option does is the text of the one above.
std::vector<Options> option_lines_in_help(const std::string& help);

// All of them.
Options options_in_help(const std::string& help);

} // namespace nsrun::test
