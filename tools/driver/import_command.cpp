// `parcours import csv`: turn a CSV export into event-contract JSON lines.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "runtime/common/visible_text.h"
#include "tools/driver/commands.h"
#include "tools/import/importer.h"

namespace parcours::driver {
namespace {

const char kImportUsage[] =
    "usage: parcours import csv --mapping MAP FILE|- [--out FILE|-]\n"
    "       [--dead-letter FILE] [--first-users N]\n";

// Why `path` cannot be read as a file, in words a user can act on, or ""
// when it can. A folder opens as a stream and fails only at the first
// read, with the library's "basic_filebuf::underflow" text or, for the
// mapping, as JSON that ends at once; both hid the real mistake.
std::string ReadProblem(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  struct stat info {};
  bool folder = ::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode);
  ::close(fd);
  return folder ? "it is a folder; name a file in it" : "";
}

// Why an output could not be opened, from `errno` just after the failed
// open: a missing folder, a folder given as the file, no permission.
std::string WhyUnwritable() {
  return errno == 0 ? "it cannot be opened" : std::strerror(errno);
}

// After a failed write or flush, which leaves the reason in errno.
std::string WhyWriteFailed() {
  return errno == 0 ? "a write failed" : std::strerror(errno);
}

bool ReadWholeFile(const std::string& path, std::string& text,
                   std::ostream& err) {
  std::string problem = ReadProblem(path);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  if (problem.empty() && in) buffer << in.rdbuf();
  if (problem.empty() && (!in || in.bad())) problem = "a read failed";
  if (!problem.empty()) {
    err << "parcours: cannot read the mapping `" << path << "`: " << problem
        << "\n";
    return false;
  }
  text = buffer.str();
  return true;
}

// Opening an output truncates it, so an output that is also the input, or
// both outputs in one file, would destroy data before it is read.
std::string SameFile(const std::string& input, const std::string& out,
                     const std::string& dead_letters) {
  auto same = [](const std::string& a, const std::string& b) {
    if (a.empty() || b.empty() || a == "-" || b == "-") return false;
    std::error_code error;
    // A device such as /dev/null keeps nothing a write could destroy.
    if (std::filesystem::is_character_file(a, error)) return false;
    return a == b || std::filesystem::equivalent(a, b, error);
  };
  if (same(input, out)) return "`--out` must not be the input file";
  if (same(input, dead_letters)) {
    return "`--dead-letter` must not be the input file";
  }
  if (same(out, dead_letters)) {
    return "`--out` and `--dead-letter` must be different files";
  }
  return "";
}

}  // namespace

int ImportCommand(const std::vector<std::string>& args, std::ostream& out,
                  std::ostream& err) {
  auto usage = [&](const std::string& message) {
    err << "parcours: " << message << "\n" << kImportUsage;
    return 2;
  };
  if (args.empty() || args[0] != "csv") {
    return usage("`import` reads one format: csv");
  }
  std::string error;
  Arguments parsed = ParseArguments(
      std::vector<std::string>(args.begin() + 1, args.end()),
      {"--mapping", "--out", "--dead-letter", "--first-users"}, {}, &error);
  if (!error.empty()) return usage(error);
  if (!parsed.Has("--mapping")) return usage("`--mapping` is required");
  if (parsed.Get("--dead-letter", "") == "-") return usage(kDashDeadLetters);
  if (parsed.positional.size() != 1) {
    return usage("name one CSV file, or - for standard input");
  }

  int64_t first_users = -1;
  if (parsed.Has("--first-users")) {
    std::string count = parsed.Get("--first-users", "");
    bool digits = !count.empty() && count.size() < 10;
    for (char c : count) digits = digits && c >= '0' && c <= '9';
    if (!digits) {
      return usage("`--first-users` takes a whole number, not `" + count + "`");
    }
    first_users = std::stoll(count);
  }

  std::string mapping_path = parsed.Get("--mapping", "");
  std::string mapping_text;
  if (!ReadWholeFile(mapping_path, mapping_text, err)) return 1;
  auto mapping = import::LoadMapping(mapping_text, &error);
  if (!mapping) {
    err << mapping_path << ":"
        << (error[0] >= '0' && error[0] <= '9' ? "" : " ") << error << "\n";
    return 1;
  }

  std::string input_path = parsed.positional[0];
  std::string clash = SameFile(input_path, parsed.Get("--out", "-"),
                               parsed.Get("--dead-letter", ""));
  if (!clash.empty()) return usage(clash);
  // Checked before any output is opened: opening truncates it.
  std::string unreadable =
      input_path == "-" ? std::string() : ReadProblem(input_path);
  std::ifstream input(input_path == "-" ? "/dev/stdin" : input_path,
                      std::ios::binary);
  if (unreadable.empty() && !input) unreadable = "it cannot be opened";
  if (!unreadable.empty()) {
    err << "parcours: cannot read the input `" << input_path
        << "`: " << unreadable << "\n";
    return 1;
  }
  std::ofstream out_file;
  std::string out_path = parsed.Get("--out", "-");
  if (out_path != "-") {
    errno = 0;
    out_file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!out_file) {
      err << "parcours: cannot write the events file `" << out_path
          << "`: " << WhyUnwritable() << "\n";
      return 1;
    }
  }
  std::ofstream dead_letters;
  if (parsed.Has("--dead-letter")) {
    std::string dead_letter_path = parsed.Get("--dead-letter", "");
    errno = 0;
    dead_letters.open(dead_letter_path, std::ios::binary | std::ios::trunc);
    if (!dead_letters) {
      err << "parcours: cannot write the dead-letter file `" << dead_letter_path
          << "`: " << WhyUnwritable() << "\n";
      return 1;
    }
  }

  std::ostream& events = out_path == "-" ? out : out_file;
  import::Importer importer(std::move(*mapping), events,
                            dead_letters.is_open() ? &dead_letters : nullptr);
  if (first_users >= 0) importer.KeepFirstUsers(first_users);
  bool finished = importer.Run(input);
  // The last letters reach the file here; a full disk says so now.
  std::string dead_letter_error = importer.dead_letter_error();
  if (dead_letters.is_open() && dead_letters.good()) {
    errno = 0;
    dead_letters.flush();
    if (!dead_letters.good()) dead_letter_error = WhyWriteFailed();
  }
  // Both quote the file's cells, which may hold control characters (an
  // escape sequence, a line break in a quoted cell): escaped, they keep
  // the terminal and one line per row.
  using common::VisibleText;
  if (!finished) {
    err << input_path << ": " << VisibleText(importer.error()) << "\n";
  }
  for (const import::BadRow& bad : importer.first_bad_rows()) {
    err << input_path << ":" << bad.line
        << ": bad row: " << VisibleText(bad.reason) << "\n";
  }
  err << importer.Summary();
  if (dead_letters.is_open() && !dead_letters) {
    if (dead_letter_error.empty()) dead_letter_error = "a write failed";
    err << "parcours: cannot write the dead-letter file `"
        << parsed.Get("--dead-letter", "") << "`: " << dead_letter_error
        << "; the bad rows are not all in it\n";
    return 1;
  }
  if (!finished) return 1;
  if (importer.counts().bad_rows > 0 && !dead_letters.is_open()) {
    err << "bad rows are not kept without --dead-letter FILE\n";
    return 1;
  }
  return 0;
}

}  // namespace parcours::driver
