#include "runtime/ingest/json_value.h"

#include <simdjson.h>

#include <cstring>
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

  bool parse_error(std::size_t, const std::string& last_token,
                   const nlohmann::detail::exception& problem) override {
    // nlohmann reports a number past what a double holds ("1e400") as an
    // overflow error, in text that is valid JSON: the user needs to know
    // which value is too large, not to look for a syntax error.
    constexpr int kNumberOverflow = 406;
    if (problem.id == kNumberOverflow) {
      error_ = std::string(kNumberOutOfRange) + ": `" + last_token + "`";
      std::string path = OpenPath();
      if (!path.empty()) error_ += ", the value of `" + path + "`";
      error_ += " (JSON numbers here run to about 1.8e308)";
      return false;
    }
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

  // Where the value being read sits: `properties.items[1].price`.
  std::string OpenPath() const {
    std::string path;
    for (const OpenContainer& open : open_) {
      if (open.value.kind == JsonValue::Kind::Array) {
        path += "[" + std::to_string(open.value.items.size()) + "]";
        continue;
      }
      if (!path.empty()) path += ".";
      path += open.key;
    }
    return path;
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

// The fast path: simdjson's On-Demand reader, which validates the whole
// line (UTF-8 included) before handing out values. It builds the same
// tree as `TreeBuilder`, numbers as written. It gives up (false) on
// anything unusual - a scalar document, a number it cannot read, nesting
// past kMaxDepth, any error - and the caller then parses with nlohmann,
// whose answer, and error message, is final.
//
// This file is compiled for the generic target on purpose. simdjson picks
// its kernel for the CPU once, at run time (AVX-512, AVX2, SSE4.2 or plain
// C++; `SIMDJSON_FORCE_IMPLEMENTATION` overrides it), and its two vector
// steps run in that kernel, inside libsimdjson: stage 1 in `iterate` (the
// structure and the UTF-8 check) and the unescaping of strings. What is
// inlined here, the On-Demand walk and the number parser, is scalar in
// every kernel: built for AVX2 it ran 0.6 % more instructions and no
// faster (docs/performance.md, issue #5). An AVX2 object beside a generic
// one would also define AVX2 copies of the inline functions both use
// (`JsonValue`'s move, the growth of `members`), and the linker keeps one
// copy for every caller, whatever the CPU.
class FastTreeBuilder {
 public:
  bool Parse(std::string_view text, JsonValue& root) {
    size_t start = text.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) return false;
    if (text[start] != '{' && text[start] != '[') return false;

    // On-Demand reads a little past the end of its input.
    padded_.assign(text.data(), text.size());
    padded_.append(simdjson::SIMDJSON_PADDING, ' ');
    simdjson::padded_string_view input(padded_.data(), text.size(),
                                       padded_.size());
    simdjson::ondemand::document document;
    if (parser_.iterate(input).get(document)) return false;
    simdjson::ondemand::value value;
    if (document.get_value().get(value)) return false;
    if (!Build(value, root, 1)) return false;
    // Nothing may follow the value but white space.
    const char* location = nullptr;
    return document.current_location().get(location) == simdjson::OUT_OF_BOUNDS;
  }

 private:
  using Type = simdjson::ondemand::json_type;

  // Builds into `out`, which may hold a tree of an earlier line: its
  // strings and vectors are reused, so that lines of the same shape cost
  // no allocation. Every member of `out` is set, as in a new node.
  bool Build(simdjson::ondemand::value value, JsonValue& out, size_t depth) {
    Type type;
    if (value.type().get(type)) return false;
    out.boolean = false;
    out.text.clear();
    if (type != Type::object) KeepMembers(out, 0);
    if (type != Type::array) KeepItems(out, 0);
    switch (type) {
      case Type::object: return BuildObject(value, out, depth);
      case Type::array: return BuildArray(value, out, depth);
      case Type::number: {
        // Read it once to validate it; keep its text.
        simdjson::ondemand::number number;
        if (value.get_number().get(number)) return false;
        std::string_view token = value.raw_json_token();
        size_t end = token.find_last_not_of(" \t\r\n");
        out.kind = JsonValue::Kind::Number;
        out.text.assign(token.substr(0, end + 1));
        // nlohmann reads "-0" as the integer 0; keep the trees identical.
        if (out.text == "-0") out.text = "0";
        return true;
      }
      case Type::string: {
        std::string_view text;
        if (value.get_string().get(text)) return false;
        out.kind = JsonValue::Kind::String;
        out.text.assign(text);
        return true;
      }
      case Type::boolean: {
        bool flag = false;
        if (value.get_bool().get(flag)) return false;
        out.kind = JsonValue::Kind::Bool;
        out.boolean = flag;
        return true;
      }
      case Type::null: {
        bool is_null = false;
        if (value.is_null().get(is_null) || !is_null) return false;
        out.kind = JsonValue::Kind::Null;
        return true;
      }
    }
    return false;
  }

  bool BuildObject(simdjson::ondemand::value value, JsonValue& out,
                   size_t depth) {
    if (depth > kMaxDepth) return false;
    simdjson::ondemand::object object;
    if (value.get_object().get(object)) return false;
    out.kind = JsonValue::Kind::Object;
    size_t count = 0;
    for (auto field_or_error : object) {
      simdjson::ondemand::field field;
      if (std::move(field_or_error).get(field)) return false;
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      if (count == out.members.size()) out.members.push_back(SpareMember());
      JsonMember& member = out.members[count++];
      // Lines of one shape repeat their keys: most are already in place.
      if (member.key != key) member.key.assign(key);
      if (!Build(field.value(), member.value, depth + 1)) return false;
    }
    KeepMembers(out, count);
    return true;
  }

  bool BuildArray(simdjson::ondemand::value value, JsonValue& out,
                  size_t depth) {
    if (depth > kMaxDepth) return false;
    simdjson::ondemand::array array;
    if (value.get_array().get(array)) return false;
    out.kind = JsonValue::Kind::Array;
    size_t count = 0;
    for (auto item_or_error : array) {
      simdjson::ondemand::value item;
      if (std::move(item_or_error).get(item)) return false;
      if (count == out.items.size()) out.items.push_back(SpareItem());
      if (!Build(item, out.items[count++], depth + 1)) return false;
    }
    KeepItems(out, count);
    return true;
  }

  // Nodes cut from a tree wait here for the next line that needs them,
  // with their buffers: a stream mixing shapes (an identify among tracks)
  // would otherwise free an object's members on one line and allocate
  // them again, one by one, on the next. At most kMaxSpare of each, with
  // whatever they hold, wait at a time.
  static constexpr size_t kMaxSpare = 64;

  JsonMember SpareMember() {
    if (spare_members_.empty()) return JsonMember{};
    JsonMember member = std::move(spare_members_.back());
    spare_members_.pop_back();
    return member;
  }

  JsonValue SpareItem() {
    if (spare_items_.empty()) return JsonValue{};
    JsonValue item = std::move(spare_items_.back());
    spare_items_.pop_back();
    return item;
  }

  // Shortens `out`'s members to `count`, keeping the rest as spares.
  void KeepMembers(JsonValue& out, size_t count) {
    while (out.members.size() > count) {
      if (spare_members_.size() < kMaxSpare) {
        spare_members_.push_back(std::move(out.members.back()));
      }
      out.members.pop_back();
    }
  }

  void KeepItems(JsonValue& out, size_t count) {
    while (out.items.size() > count) {
      if (spare_items_.size() < kMaxSpare) {
        spare_items_.push_back(std::move(out.items.back()));
      }
      out.items.pop_back();
    }
  }

  simdjson::ondemand::parser parser_;
  std::string padded_;
  std::vector<JsonMember> spare_members_;
  std::vector<JsonValue> spare_items_;
};

}  // namespace

std::string ParseJsonPrecisely(std::string_view text, JsonValue& value) {
  value = JsonValue{};
  TreeBuilder builder(value);
  bool parsed = Json::sax_parse(text.begin(), text.end(), &builder);
  if (parsed) return "";
  return builder.error().empty() ? "not valid JSON" : builder.error();
}

bool ParseJsonFast(std::string_view text, JsonValue& value) {
  // One reader per thread: a parser keeps buffers between documents and
  // must not be shared by partitions running at once.
  thread_local FastTreeBuilder builder;
  if (builder.Parse(text, value)) return true;
  value = JsonValue{};
  return false;
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  // A decoded line looks up a dozen keys among its members; most members
  // differ from the key in length or first byte, which are compared here
  // before any call to compare the rest.
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    const std::string& candidate = it->key;
    if (candidate.size() != key.size()) continue;
    if (key.empty()) return &it->value;
    if (candidate[0] != key[0]) continue;
    if (std::memcmp(candidate.data(), key.data(), key.size()) == 0) {
      return &it->value;
    }
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

bool IsValueProblem(const std::string& problem) {
  return problem.starts_with(kNumberOutOfRange);
}

std::string ParseJson(std::string_view text, JsonValue& value) {
  if (ParseJsonFast(text, value)) return "";
  return ParseJsonPrecisely(text, value);
}

namespace {

// The parser gave valid UTF-8, so the dump cannot throw.
void AppendJsonString(const std::string& text, std::string& out) {
  out += nlohmann::json(text).dump();
}

}  // namespace

void AppendJson(const JsonValue& value, std::string& out) {
  switch (value.kind) {
    case JsonValue::Kind::Null: out += "null"; return;
    case JsonValue::Kind::Bool: out += value.boolean ? "true" : "false"; return;
    case JsonValue::Kind::Number: out += value.text; return;
    case JsonValue::Kind::String: AppendJsonString(value.text, out); return;
    case JsonValue::Kind::Object:
      out.push_back('{');
      for (size_t i = 0; i < value.members.size(); ++i) {
        if (i > 0) out.push_back(',');
        AppendJsonString(value.members[i].key, out);
        out.push_back(':');
        AppendJson(value.members[i].value, out);
      }
      out.push_back('}');
      return;
    case JsonValue::Kind::Array:
      out.push_back('[');
      for (size_t i = 0; i < value.items.size(); ++i) {
        if (i > 0) out.push_back(',');
        AppendJson(value.items[i], out);
      }
      out.push_back(']');
      return;
  }
}

}  // namespace parcours::ingest
