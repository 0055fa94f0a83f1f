// Shared fixtures for runtime tests: temporary folders, a small shop
// program, event lines and a one-call run.
#pragma once

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/interp/interpreter.h"
#include "runtime/engine/run.h"
#include "runtime/sinks/action_sink.h"
#include "runtime/store/sqlite.h"
#include "tests/runtime/program_builder.h"
#include "tests/support/files.h"
#include "tests/support/state_queries.h"

namespace parcours::testing {

// The moment most runtime tests start at.
inline const char* kT0 = "2011-01-02T10:00:00Z";

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A fresh folder under the system's temporary folder, removed at the end.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("parcours-rt-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const {
    return (path_ / name).string();
  }

 private:
  std::filesystem::path path_;
};

inline constexpr int64_t kEur = 'E' | ('U' << 8) | ('R' << 16);

// Offsets and indices of the shop program, for tests that look inside.
struct Shop {
  ir::Program program;
  int32_t email = 0;
  int32_t vip = 0;
  int32_t country = 0;
  int32_t order_count = 0;
  int32_t order_total = 0;
  int32_t cart_sum = 0;
  int32_t repeat_buyer = 0;
};

// Events: "Order Completed" {order_id, total: money, note: string?,
// items: int?}, "Signed Up" {plan: string?}, "Cart Updated" {value:
// decimal, at: time?, wait: duration?, gift: bool?}.
// Profile: email string?, vip bool = false, country string = "UK", age int?.
// Journeys, in order:
//   thank_you  on Order Completed where total > 100 EUR:
//              send email thank_you; wait 1d; send email review_request
//   welcome    on Signed Up, exit on Order Completed:
//              wait 1h; if vip send push vip_welcome
//              else send email welcome
//   note_ack   on Order Completed: if the order has a note, send sms note_ack
inline Shop MakeShop() {
  ProgramBuilder b;
  Shop shop;
  int32_t order = b.Event("OrderPlaced", "Order Completed",
                          {{"order_id", ir::Type::String},
                           {"total", ir::Type::Money},
                           {"note", ir::Type::String, true},
                           {"items", ir::Type::Int, true}});
  int32_t signup =
      b.Event("SignedUp", "Signed Up", {{"plan", ir::Type::String, true}});
  int32_t cart = b.Event("CartUpdated", "Cart Updated",
                         {{"value", ir::Type::Decimal},
                          {"at", ir::Type::Time, true},
                          {"wait", ir::Type::Duration, true},
                          {"gift", ir::Type::Bool, true}});

  shop.email = b.Attribute({"email", ir::Type::String, true});
  shop.vip = b.Attribute({"vip", ir::Type::Bool}, {0});
  shop.country = b.Attribute({"country", ir::Type::String}, {}, "UK");
  b.Attribute({"age", ir::Type::Int, true});
  shop.order_count = b.Count(order);
  shop.order_total = b.Sum(order, 1);
  shop.cart_sum = b.Sum(cart, 0);

  int32_t repeat = b.Function(
      "repeat_buyer",
      {Load(ir::Base::Profile, ir::Type::Int, shop.order_count),
       Const(ir::Type::Int, 2), Compare(ir::Op::Ge, ir::Type::Int, 0, 1)});
  shop.repeat_buyer = b.Segment("repeat_buyer", repeat);

  // The order's total sits at word 2 of its record, its note's presence
  // at word 6 (order_id 0-1, total 2-3, note 4-5, present 6).
  int32_t big_order = b.Function(
      "big_order", {Load(ir::Base::Event, ir::Type::Money, 2),
                    Const(ir::Type::Money, 100 * ir::kDecimalScale, kEur),
                    Compare(ir::Op::Gt, ir::Type::Money, 0, 1)});
  int32_t is_vip =
      b.Function("is_vip", {Load(ir::Base::Profile, ir::Type::Bool, shop.vip)});
  int32_t has_note = b.Function("has_note", {IsPresent(ir::Base::Local, 6)});

  b.Journey(
      "thank_you", order, big_order, {},
      {SendStep("thanks", "email", "thank_you", 1), WaitStep("wait1", 86400, 2),
       SendStep("review", "email", "review_request", -1)});
  b.Journey("welcome", signup, -1, {order},
            {WaitStep("wait1", 3600, 1), IfStep("if1", is_vip, 2, 3),
             SendStep("vip", "push", "vip_welcome", -1),
             SendStep("plain", "email", "welcome", -1)});
  b.Journey(
      "note_ack", order, -1, {},
      {IfStep("if1", has_note, 1, -1), SendStep("ack", "sms", "note_ack", -1)});
  shop.program = b.Build();
  return shop;
}

// One input line of each shape; `properties` and `traits` are JSON text.
inline std::string Track(const std::string& event, const std::string& user,
                         const std::string& message_id, const std::string& time,
                         const std::string& properties = "{}") {
  std::string line = R"({"type":"track","event":")" + event +
                     R"(","userId":")" + user + R"(")";
  if (!message_id.empty()) line += R"(,"messageId":")" + message_id + R"(")";
  return line + R"(,"timestamp":")" + time + R"(","properties":)" + properties +
         "}";
}

inline std::string Identify(const std::string& user,
                            const std::string& message_id,
                            const std::string& time,
                            const std::string& traits) {
  std::string line = R"({"type":"identify","userId":")" + user + R"(")";
  if (!message_id.empty()) line += R"(,"messageId":")" + message_id + R"(")";
  return line + R"(,"timestamp":")" + time + R"(","traits":)" + traits + "}";
}

// Traits giving a profile of the shop an email address.
inline const char kEmailTrait[] = R"({"email":"p1@example.com"})";

inline std::string Order(const std::string& user, const std::string& id,
                         const std::string& time, const std::string& total,
                         const std::string& currency = "EUR") {
  return Track("Order Completed", user, id, time,
               R"({"order_id":")" + id + R"(","total":)" + total +
                   R"(,"currency":")" + currency + R"("})");
}

inline std::string Lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

struct RunOutput {
  engine::RunResult result;
  std::vector<std::string> actions;
};

inline RunOutput RunText(const ir::Program& program, const std::string& text,
                         const engine::RunOptions& options) {
  auto evaluator = interp::MakeInterpreter(program);
  std::istringstream events(text);
  sinks::MemorySink sink;
  RunOutput output;
  output.result = engine::Run(program, *evaluator, events, sink, options);
  output.actions = sink.lines();
  return output;
}

inline engine::RunOptions OptionsFor(const std::string& state_path) {
  engine::RunOptions options;
  options.state_path = state_path;
  return options;
}

// A field of an action line.
inline std::string Field(const std::string& line, const std::string& key) {
  return nlohmann::json::parse(line).at(key).get<std::string>();
}

}  // namespace parcours::testing
