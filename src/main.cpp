// SPDX-License-Identifier: Apache-2.0
#include "cli/launch_main.hpp"

int main(int argc, char** argv)
{
  return nsrun::cli::launcher_main(argc, argv);
}
