#include "runtime/sinks/json_lines_file.h"

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

namespace parcours::sinks {

namespace {

// Whether `text` ends with the lines `pending[0..count)`, each followed by
// a newline, starting at a line start of the file.
bool EndsWithLines(std::string_view text, bool whole,
                   const std::vector<std::string_view>& pending, size_t count) {
  size_t end = text.size();
  for (size_t i = count; i-- > 0;) {
    std::string_view line = pending[i];
    if (end < line.size() + 1 || text[end - 1] != '\n') return false;
    end -= line.size() + 1;
    if (text.substr(end, line.size()) != line) return false;
  }
  if (end == 0) return whole;
  return text[end - 1] == '\n';
}

}  // namespace

size_t MatchDeliveredTail(std::string_view tail, bool whole,
                          const std::vector<std::string_view>& pending,
                          size_t& cut) {
  cut = 0;
  if (pending.empty()) return 0;

  // What follows the last newline is a line a crash cut short, or, when
  // the tail holds no newline and is not the whole file, something longer
  // than all pending lines together, so nothing of ours.
  size_t newline = tail.rfind('\n');
  if (newline == std::string_view::npos && !whole) return 0;
  size_t complete_size = newline == std::string_view::npos ? 0 : newline + 1;
  std::string_view complete = tail.substr(0, complete_size);
  std::string_view torn = tail.substr(complete_size);

  // The sink writes in order, so the last whole line, if it is pending at
  // all, says how many pending lines went out; the lines before it must
  // then be the ones before it in `pending`.
  size_t delivered = 0;
  if (!complete.empty()) {
    std::string_view body = complete.substr(0, complete.size() - 1);
    size_t start = body.rfind('\n');
    std::string_view last =
        start == std::string_view::npos ? body : body.substr(start + 1);
    for (size_t i = 0; i < pending.size(); ++i) {
      if (pending[i] != last) continue;
      if (EndsWithLines(complete, whole, pending, i + 1)) delivered = i + 1;
      break;
    }
  }

  if (torn.empty()) return delivered;
  bool ours = delivered < pending.size() &&
              pending[delivered].substr(0, torn.size()) == torn;
  if (!ours) return 0;
  cut = torn.size();
  return delivered;
}

JsonLinesFileSink::JsonLinesFileSink(std::string path)
    : path_(std::move(path)),
      out_(path_, std::ios::binary | std::ios::app),
      lines_(out_, "file `" + path_ + "`") {}

common::Expected<std::unique_ptr<JsonLinesFileSink>> JsonLinesFileSink::Open(
    const std::string& path) {
  std::string refusal = "cannot write actions file `" + path + "`";
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return common::Status::Error(refusal + ": it is a directory");
  }
  // A SQLite file (an outbox meant as `sqlite:PATH`, or a state) would be
  // spoiled by lines of text appended to it. Only a regular file can be
  // one: reading a pipe (`/dev/stdout` into `| consumer`, a named pipe)
  // would take bytes meant for its reader, or wait for ever for some.
  if (std::filesystem::is_regular_file(path, error)) {
    std::ifstream existing(path, std::ios::binary);
    char header[16] = {};
    if (existing.read(header, sizeof header) &&
        std::string_view(header, sizeof header) ==
            std::string_view("SQLite format 3\0", 16)) {
      return common::Status::Error(
          refusal +
          ": it is a SQLite database; for an outbox table write "
          "`--out sqlite:" +
          path + "`");
    }
  }
  errno = 0;
  std::unique_ptr<JsonLinesFileSink> sink(new JsonLinesFileSink(path));
  if (!sink->out_.is_open()) {
    // The reason is what the user can act on: a missing folder, a full
    // disk, a file they may not write.
    int reason = errno;
    if (reason == ENOENT) {
      std::filesystem::path folder = std::filesystem::path(path).parent_path();
      if (!folder.empty() && !std::filesystem::exists(folder, error)) {
        return common::Status::Error(refusal + ": the folder `" +
                                     folder.string() + "` does not exist");
      }
    }
    if (reason != 0) {
      return common::Status::Error(refusal + ": " +
                                   std::generic_category().message(reason));
    }
    return common::Status::Error(refusal);
  }
  return sink;
}

common::Status JsonLinesFileSink::Write(std::string_view line) {
  // A file that does not end with a newline (someone else's line, cut
  // short) would glue our first line to it, spoiling both; end it first.
  if (!end_checked_) {
    end_checked_ = true;
    std::error_code error;
    uintmax_t size = std::filesystem::file_size(path_, error);
    if (!error && size > 0) {
      std::ifstream in(path_, std::ios::binary);
      in.seekg(static_cast<std::streamoff>(size - 1));
      char last = '\n';
      if (in.get(last) && last != '\n') out_ << '\n';
    }
  }
  return lines_.Write(line);
}

common::Status JsonLinesFileSink::Flush() { return lines_.Flush(); }

common::Expected<size_t> JsonLinesFileSink::CountDelivered(
    const std::vector<std::string_view>& pending) {
  if (pending.empty()) return size_t{0};
  std::error_code error;
  uintmax_t size = std::filesystem::file_size(path_, error);
  if (error) return size_t{0};

  // Enough of the end for every pending line and its newline, plus the
  // newline before the first of them.
  uintmax_t budget = 1;
  for (std::string_view line : pending) budget += line.size() + 1;
  uintmax_t start = size > budget ? size - budget : 0;
  std::string tail(static_cast<size_t>(size - start), '\0');
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(start));
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  // Unreadable (say, write-only): nothing is known, so everything is sent.
  if (!in) return size_t{0};

  size_t cut = 0;
  size_t delivered = MatchDeliveredTail(tail, start == 0, pending, cut);
  if (cut > 0) {
    std::filesystem::resize_file(path_, size - cut, error);
    if (error) {
      return common::Status::Error("file `" + path_ +
                                   "`: could not remove the cut-short "
                                   "last line: " +
                                   error.message());
    }
  }
  return delivered;
}

}  // namespace parcours::sinks
