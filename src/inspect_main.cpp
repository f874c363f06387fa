// SPDX-License-Identifier: Apache-2.0
#include "cli/inspect_main.hpp"

int main(int argc, char** argv)
{
  return nsrun::cli::inspect_main(argc, argv);
}
