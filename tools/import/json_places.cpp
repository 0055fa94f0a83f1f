#include "tools/import/json_places.h"

#include <set>

namespace parcours::import {
namespace {

constexpr int kDeepest = 64;

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  std::map<std::string, size_t> Run() {
    Value("", 0);
    return std::move(places_);
  }

  std::optional<RepeatedKey> RunForRepeatedKey() {
    Value("", 0);
    return repeated_;
  }

 private:
  bool AtEnd() const { return stopped_ || at_ >= text_.size(); }

  void SkipSpace() {
    while (!AtEnd() && (text_[at_] == ' ' || text_[at_] == '\t' ||
                        text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }

  // Reads a string at `at_`, decoding the escapes a key would use; a
  // \u escape is kept as written, which only misplaces exotic keys.
  std::string String() {
    std::string value;
    ++at_;  // the opening quote
    while (!AtEnd() && text_[at_] != '"') {
      char c = text_[at_++];
      if (c == '\\' && !AtEnd()) {
        char escaped = text_[at_++];
        switch (escaped) {
          case 'n': value += '\n'; break;
          case 't': value += '\t'; break;
          case 'r': value += '\r'; break;
          case 'b': value += '\b'; break;
          case 'f': value += '\f'; break;
          case 'u': value += "\\u"; break;
          default: value += escaped;
        }
        continue;
      }
      value += c;
    }
    ++at_;  // the closing quote
    return value;
  }

  void Value(const std::string& path, int depth) {
    SkipSpace();
    if (AtEnd()) return;
    if (depth > kDeepest) {
      stopped_ = true;
      return;
    }

    char c = text_[at_];
    if (c == '{') {
      ++at_;
      // Keys are compared within this object only: a key holding a dot
      // must not be taken for the path of a nested member.
      std::set<std::string> keys;
      for (;;) {
        SkipSpace();
        if (AtEnd() || text_[at_] == '}') break;
        size_t key_at = at_;
        std::string key = String();
        std::string member = path.empty() ? key : path + "." + key;
        if (!keys.insert(key).second && !repeated_) {
          repeated_ = RepeatedKey{key, member, places_[member], key_at};
        }
        places_[member] = key_at;
        SkipSpace();
        if (!AtEnd()) ++at_;  // the colon
        Value(member, depth + 1);
        SkipSpace();
        if (!AtEnd() && text_[at_] == ',') ++at_;
      }
      if (!AtEnd()) ++at_;
      return;
    }
    if (c == '[') {
      ++at_;
      for (size_t index = 0;; ++index) {
        SkipSpace();
        if (AtEnd() || text_[at_] == ']') break;
        std::string item = path + "[" + std::to_string(index) + "]";
        places_[item] = at_;
        Value(item, depth + 1);
        SkipSpace();
        if (!AtEnd() && text_[at_] == ',') ++at_;
      }
      if (!AtEnd()) ++at_;
      return;
    }
    if (c == '"') {
      String();
      return;
    }
    while (!AtEnd() && text_[at_] != ',' && text_[at_] != '}' &&
           text_[at_] != ']' && text_[at_] != ' ' && text_[at_] != '\n' &&
           text_[at_] != '\r' && text_[at_] != '\t') {
      ++at_;
    }
  }

  std::string_view text_;
  size_t at_ = 0;
  bool stopped_ = false;
  std::map<std::string, size_t> places_;
  std::optional<RepeatedKey> repeated_;
};

}  // namespace

std::map<std::string, size_t> JsonPlaces(std::string_view text) {
  return Scanner(text).Run();
}

std::optional<RepeatedKey> FindRepeatedKey(std::string_view text) {
  return Scanner(text).RunForRepeatedKey();
}

std::string LineAndColumn(std::string_view text, size_t offset) {
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace parcours::import
