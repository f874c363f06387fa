// SPDX-License-Identifier: Apache-2.0
#include "launcher/launch_main.hpp"

int main(int argc, char** argv)
{
  return nsrun::launcher::launcher_main(argc, argv);
}
