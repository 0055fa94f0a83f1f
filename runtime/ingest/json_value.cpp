#include "runtime/ingest/json_value.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace parcours::ingest {

namespace {

using Json = nlohmann::json;

constexpr size_t kMaxDepth = 64;

// Builds a `JsonValue` from SAX events. Open containers wait on a stack
// and are moved into their parent when they close, so no pointer into a
// growing vector is ever kept.
class TreeBuilder final : public nlohmann::json_sax<Json> {
 public:
  explicit TreeBuilder(JsonValue& root) : root_(root) {}

  const std::string& error() const { return error_; }

  bool null() override { return Add(JsonValue{}); }

  bool boolean(bool value) override {
    JsonValue node;
    node.kind = JsonValue::Kind::Bool;
    node.boolean = value;
    return Add(std::move(node));
  }

  bool number_integer(number_integer_t value) override {
    return AddNumber(std::to_string(value));
  }

  bool number_unsigned(number_unsigned_t value) override {
    return AddNumber(std::to_string(value));
  }

  bool number_float(number_float_t, const string_t& text) override {
    return AddNumber(text);
  }

  bool string(string_t& value) override {
    JsonValue node;
    node.kind = JsonValue::Kind::String;
    node.text = std::move(value);
    return Add(std::move(node));
  }

  bool binary(binary_t&) override {
    error_ = "binary values are not JSON text";
    return false;
  }

  bool start_object(std::size_t) override {
    return Open(JsonValue::Kind::Object);
  }

  bool key(string_t& key) override {
    open_.back().key = std::move(key);
    return true;
  }

  bool end_object() override { return Close(); }

  bool start_array(std::size_t) override {
    return Open(JsonValue::Kind::Array);
  }

  bool end_array() override { return Close(); }

  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& problem) override {
    error_ = WithoutPrefix(problem.what());
    return false;
  }

 private:
  struct OpenContainer {
    JsonValue value;
    std::string key;  // the pending member name, for objects
  };

  // nlohmann prefixes messages with "[json.exception.parse_error.101] ";
  // users need the part after it.
  static std::string WithoutPrefix(const std::string& message) {
    if (message.empty() || message[0] != '[') return message;
    size_t end = message.find("] ");
    return end == std::string::npos ? message : message.substr(end + 2);
  }

  bool AddNumber(std::string text) {
    JsonValue node;
    node.kind = JsonValue::Kind::Number;
    node.text = std::move(text);
    return Add(std::move(node));
  }

  bool Add(JsonValue node) {
    if (open_.empty()) {
      root_ = std::move(node);
      return true;
    }
    OpenContainer& parent = open_.back();
    if (parent.value.kind == JsonValue::Kind::Object) {
      parent.value.members.push_back({std::move(parent.key), std::move(node)});
    } else {
      parent.value.items.push_back(std::move(node));
    }
    return true;
  }

  bool Open(JsonValue::Kind kind) {
    if (open_.size() >= kMaxDepth) {
      error_ = "nested deeper than " + std::to_string(kMaxDepth) + " levels";
      return false;
    }
    open_.push_back({});
    open_.back().value.kind = kind;
    return true;
  }

  bool Close() {
    JsonValue done = std::move(open_.back().value);
    open_.pop_back();
    return Add(std::move(done));
  }

  JsonValue& root_;
  std::vector<OpenContainer> open_;
  std::string error_;
};

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (it->key == key) return &it->value;
  }
  return nullptr;
}

const char* KindName(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::Null: return "null";
    case JsonValue::Kind::Bool: return "boolean";
    case JsonValue::Kind::Number: return "number";
    case JsonValue::Kind::String: return "string";
    case JsonValue::Kind::Object: return "object";
    case JsonValue::Kind::Array: return "array";
  }
  return "?";
}

std::string ParseJson(std::string_view text, JsonValue& value) {
  value = JsonValue{};
  TreeBuilder builder(value);
  bool parsed = Json::sax_parse(text.begin(), text.end(), &builder);
  if (parsed) return "";
  return builder.error().empty() ? "not valid JSON" : builder.error();
}

}  // namespace parcours::ingest
