// SPDX-License-Identifier: Apache-2.0
// build/differential/nsrun: the nsrun the differential tests run (ctest -L
// differential), in front of the real one (NSRUN_REAL_BINARY). A read-only diagnostic (holders
// without
// --detach, leaks, tree, check, list, metrics without --textfile) runs
// twice, through the /proc engine and through the BPF engine, and both must
// give the same exit status and the same output; the BPF run's output is
// passed on. Anything else, and a run that sets NSRUN_SCAN_ENGINE itself,
// runs once, as it is.
//
// What cannot be the same is taken out first: nsrun-inspect itself (its pid
// differs between the runs; it shows as a process of the host's namespace),
// the bound of the namespace id probe (each run makes namespaces), and
// metrics' scan time and timestamp. A difference fails with exit status 99
// and both outputs on stderr. Where the BPF engine cannot run (a test that
// runs nsrun without privileges), there is nothing to compare: the /proc
// run's output is passed on.
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Outcome
{
  int status = -1;
  pid_t pid = 0;
  std::string out;
  std::string err;
};

std::string read_fd(int fd)
{
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  return text;
}

// Runs argv with NSRUN_SCAN_ENGINE=engine; stdout and stderr to files (no
// pipe to drain while waiting).
Outcome run(const std::vector<char*>& argv, const char* engine)
{
  Outcome o;
  FILE* out = std::tmpfile();
  FILE* err = std::tmpfile();
  if (out == nullptr || err == nullptr) {
    std::perror("nsrun-differential: tmpfile");
    std::exit(99);
  }
  const pid_t child = ::fork();
  if (child == 0) {
    ::setenv("NSRUN_SCAN_ENGINE", engine, 1);
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(null, 0);
    ::dup2(::fileno(out), 1);
    ::dup2(::fileno(err), 2);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  o.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o.pid = child; // nsrun execs nsrun-inspect in place: the same pid
  std::rewind(out);
  std::rewind(err);
  o.out = read_fd(::fileno(out));
  o.err = read_fd(::fileno(err));
  std::fclose(out);
  std::fclose(err);
  return o;
}

std::string normalise_text(std::string text, pid_t self)
{
  const std::string p = std::to_string(self);
  text = std::regex_replace(text, std::regex("(pid |kill |\\(pid )" + p + "\\b"), "$1SELF");
  text = std::regex_replace(text, std::regex("\\b" + p + "( +nsrun-inspect)"), "SELF$1");
  text = std::regex_replace(text, std::regex("up to [0-9]+"), "up to N");
  text = std::regex_replace(
      text, std::regex("(^|\\n)nsrun_(scan_duration_seconds|last_scan_timestamp_seconds) [^\\n]*"),
      "$1");
  return text;
}

// Drops nsrun-inspect's own entries (objects with its pid) from every
// array, and normalises every string.
void normalise_json(nlohmann::json& j, pid_t self)
{
  if (j.is_array()) {
    nlohmann::json kept = nlohmann::json::array();
    for (auto& item : j) {
      if (item.is_object() && item.contains("pid") && item["pid"] == self) {
        continue;
      }
      normalise_json(item, self);
      kept.push_back(std::move(item));
    }
    j = std::move(kept);
  } else if (j.is_object()) {
    for (auto& [key, value] : j.items()) {
      normalise_json(value, self);
    }
  } else if (j.is_string()) {
    j = normalise_text(j.get<std::string>(), self);
  }
}

std::string normalise(const std::string& out, pid_t self)
{
  if (!out.empty() && out[0] == '{') {
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (!j.is_discarded()) {
      normalise_json(j, self);
      return j.dump(2);
    }
  }
  return normalise_text(out, self);
}

bool read_only(int argc, char** argv)
{
  if (argc < 2) {
    return false;
  }
  const std::string_view sub = argv[1];
  if (sub != "holders" && sub != "leaks" && sub != "tree" && sub != "metrics" && sub != "check" &&
      sub != "list") {
    return false;
  }
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--detach" || arg == "--textfile" || arg.rfind("--textfile=", 0) == 0 ||
        arg == "--help" || arg == "-h") {
      return false;
    }
  }
  return true;
}

} // namespace

int main(int argc, char** argv)
{
  static char real[] = NSRUN_REAL_BINARY;
  std::vector<char*> args = {real};
  args.insert(args.end(), argv + 1, argv + argc);
  args.push_back(nullptr);
  // A run that chose its engine itself is run as it is.
  if (!read_only(argc, argv) || std::getenv("NSRUN_SCAN_ENGINE") != nullptr) {
    ::execv(real, args.data());
    std::perror("nsrun-differential: exec");
    return 127;
  }
  const auto proc = run(args, "proc");
  const auto bpf = run(args, "bpf");
  if (bpf.status == 2 && bpf.err.find("the BPF engine cannot run here") != std::string::npos) {
    std::fwrite(proc.out.data(), 1, proc.out.size(), stdout);
    std::fwrite(proc.err.data(), 1, proc.err.size(), stderr);
    return proc.status;
  }
  const auto a = normalise(proc.out, proc.pid);
  const auto b = normalise(bpf.out, bpf.pid);
  if (proc.status != bpf.status || a != b) {
    std::fprintf(stderr,
                 "nsrun-differential: the engines differ: proc exit %d, bpf exit %d\n"
                 "--- proc:\n%s\n--- bpf:\n%s\n--- bpf's stderr:\n%s\n",
                 proc.status, bpf.status, a.c_str(), b.c_str(), bpf.err.c_str());
    return 99;
  }
  std::fwrite(bpf.out.data(), 1, bpf.out.size(), stdout);
  std::fwrite(bpf.err.data(), 1, bpf.err.size(), stderr);
  return bpf.status;
}
