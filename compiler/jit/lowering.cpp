#include "compiler/jit/lowering.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/Support/ModRef.h>

#include <algorithm>
#include <vector>

#include "compiler/ir/lists.h"
#include "compiler/ir/segment_sets.h"
#include "compiler/ir/semantics.h"

namespace parcours::jit {
namespace {

using ir::Op;
using ir::Type;

// An IR value in LLVM: two i64 words, like the interpreter's registers.
// One-word values keep a second word too (0, or whatever the interpreter
// would hold there), so that even an operand of an unexpected type reads
// the same second word in both engines.
struct Words {
  llvm::Value* word0 = nullptr;
  llvm::Value* word1 = nullptr;
};

// The signed predicate of a comparison op; the interpreter orders every
// word as a signed 64-bit integer and strings by a signed three-way result.
llvm::CmpInst::Predicate SignedPredicate(Op op) {
  switch (op) {
    case Op::Eq: return llvm::CmpInst::ICMP_EQ;
    case Op::Ne: return llvm::CmpInst::ICMP_NE;
    case Op::Lt: return llvm::CmpInst::ICMP_SLT;
    case Op::Le: return llvm::CmpInst::ICMP_SLE;
    case Op::Gt: return llvm::CmpInst::ICMP_SGT;
    case Op::Ge: return llvm::CmpInst::ICMP_SGE;
    default: break;
  }
  return llvm::CmpInst::BAD_ICMP_PREDICATE;
}

class ProgramLowering {
 public:
  ProgramLowering(const ir::Program& program, llvm::Module& module)
      : program_(program),
        module_(module),
        builder_(module.getContext()),
        word_(builder_.getInt64Ty()) {}

  void Lower() {
    DeclareHelpers();
    DefineStrings();
    DefineConstSets();
    for (size_t i = 0; i < program_.functions.size(); ++i) LowerFunction(i);
    ir::SegmentSets grouped = ir::GroupSegments(program_);
    for (size_t i = 0; i < grouped.sets.size(); ++i) {
      LowerSegmentSet(i, grouped.sets[i]);
    }
    DefineTable();
  }

 private:
  // Declares the C helpers with the effects they really have, so that the
  // optimiser may drop or merge calls whose results are unused or equal.
  void DeclareHelpers() {
    auto* binary = llvm::FunctionType::get(word_, {word_, word_}, false);
    decimal_mul_ =
        DeclareHelper(kDecimalMulSymbol, binary, llvm::MemoryEffects::none());
    decimal_div_ =
        DeclareHelper(kDecimalDivSymbol, binary, llvm::MemoryEffects::none());

    speed_kmh_ =
        DeclareHelper(kSpeedKmhSymbol, binary, llvm::MemoryEffects::none());
    auto* quaternary =
        llvm::FunctionType::get(word_, {word_, word_, word_, word_}, false);
    distance_km_ = DeclareHelper(kDistanceKmSymbol, quaternary,
                                 llvm::MemoryEffects::none());

    auto* ptr = builder_.getPtrTy();
    auto* compare =
        llvm::FunctionType::get(word_, {ptr, word_, ptr, word_}, false);
    string_compare_ =
        DeclareHelper(kStringCompareSymbol, compare,
                      llvm::MemoryEffects::argMemOnly(llvm::ModRefInfo::Ref));

    // They read the zone's name and keep a cache of zones, which the
    // generated code cannot see.
    auto* zoned = llvm::FunctionType::get(word_, {word_, ptr, word_}, false);
    auto zone_effects = llvm::MemoryEffects::argMemOnly(llvm::ModRefInfo::Ref) |
                        llvm::MemoryEffects::inaccessibleMemOnly();
    local_day_ = DeclareHelper(kLocalDaySymbol, zoned, zone_effects);
    day_start_ = DeclareHelper(kDayStartSymbol, zoned, zone_effects);
    auto* calendar = llvm::FunctionType::get(
        word_, {word_, word_, word_, ptr, word_}, false);
    add_calendar_ = DeclareHelper(kAddCalendarSymbol, calendar, zone_effects);
    // Dates need no zone: the result depends on the arguments alone.
    auto* ternary =
        llvm::FunctionType::get(word_, {word_, word_, word_}, false);
    add_calendar_to_date_ = DeclareHelper(kAddCalendarToDateSymbol, ternary,
                                          llvm::MemoryEffects::none());

    // A string item arrives as a word holding its address, which the
    // generated code could not see it read through: hence "reads any
    // memory", not "its arguments'".
    auto* contains = llvm::FunctionType::get(
        word_, {ptr, word_, word_, word_, word_}, false);
    list_contains_ = DeclareHelper(kListContainsSymbol, contains,
                                   llvm::MemoryEffects::readOnly());

    // They read a set the module holds, and a string item through its
    // address word, as above.
    auto* words_lookup =
        llvm::FunctionType::get(word_, {ptr, word_, word_}, false);
    words_contain_ =
        DeclareHelper(kWordsContainSymbol, words_lookup,
                      llvm::MemoryEffects::argMemOnly(llvm::ModRefInfo::Ref));
    auto* strings_lookup =
        llvm::FunctionType::get(word_, {ptr, word_, ptr, ptr, word_}, false);
    strings_contain_ = DeclareHelper(kStringsContainSymbol, strings_lookup,
                                     llvm::MemoryEffects::readOnly());
  }

  llvm::Function* DeclareHelper(const char* name, llvm::FunctionType* type,
                                llvm::MemoryEffects effects) {
    auto* helper = llvm::Function::Create(type, llvm::Function::ExternalLinkage,
                                          name, module_);
    helper->setMemoryEffects(effects);
    helper->setDoesNotThrow();
    helper->setWillReturn();
    return helper;
  }

  // The string constants live in the module, so the compiled code (and an
  // object file loaded from the cache) does not point into the Program.
  void DefineStrings() {
    for (size_t i = 0; i < program_.strings.size(); ++i) {
      llvm::Constant* bytes = llvm::ConstantDataArray::getString(
          module_.getContext(), program_.strings[i], /*AddNull=*/false);
      auto* global = new llvm::GlobalVariable(
          module_, bytes->getType(), /*isConstant=*/true,
          llvm::GlobalValue::PrivateLinkage, bytes,
          "pc_str" + std::to_string(i));
      global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
      global->setAlignment(llvm::Align(1));
      strings_.push_back(global);
    }
  }

  // Each set's words and bytes live in the module too, for the same
  // reason; a cached object file carries them.
  void DefineConstSets() {
    for (size_t i = 0; i < program_.const_sets.size(); ++i) {
      const ir::ConstSet& set = program_.const_sets[i];
      std::vector<uint64_t> words(set.words.begin(), set.words.end());
      llvm::Constant* word_array =
          llvm::ConstantDataArray::get(module_.getContext(), words);
      auto* word_global = new llvm::GlobalVariable(
          module_, word_array->getType(), /*isConstant=*/true,
          llvm::GlobalValue::PrivateLinkage, word_array,
          "pc_set" + std::to_string(i));
      word_global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
      word_global->setAlignment(llvm::Align(8));

      set_words_.push_back(word_global);
      set_bytes_.push_back(nullptr);
      if (set.type != Type::String) continue;

      llvm::Constant* bytes = llvm::ConstantDataArray::getString(
          module_.getContext(), set.bytes, /*AddNull=*/false);
      auto* byte_global = new llvm::GlobalVariable(
          module_, bytes->getType(), /*isConstant=*/true,
          llvm::GlobalValue::PrivateLinkage, bytes,
          "pc_set" + std::to_string(i) + ".bytes");
      byte_global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
      byte_global->setAlignment(llvm::Align(1));
      set_bytes_.back() = byte_global;
    }
  }

  // `parcours_words_contain` or `parcours_strings_contain` on set `imm`.
  Words InSet(const ir::Inst& inst, const std::string& name) {
    const ir::ConstSet& set = program_.const_sets[inst.imm];
    Words value = Operand(inst.a);
    llvm::Value* size = Word(ir::ConstSetSize(set));
    if (set.type != Type::String) {
      return {
          builder_.CreateCall(words_contain_,
                              {set_words_[inst.imm], size, value.word0}, name),
          Word(0)};
    }
    llvm::Value* item =
        builder_.CreateIntToPtr(value.word0, builder_.getPtrTy());
    return {builder_.CreateCall(strings_contain_,
                                {set_words_[inst.imm], size,
                                 set_bytes_[inst.imm], item, value.word1},
                                name),
            Word(0)};
  }

  void LowerFunction(size_t index) {
    auto* ptr = builder_.getPtrTy();
    auto* type = llvm::FunctionType::get(word_, {ptr, ptr, ptr, word_}, false);
    function_ = llvm::Function::Create(type, llvm::Function::InternalLinkage,
                                       FunctionSymbol(index), module_);
    functions_.push_back(function_);
    function_->setDoesNotThrow();
    const char* arg_names[] = {"profile", "event", "locals", "now"};
    for (unsigned i = 0; i < 4; ++i) {
      function_->getArg(i)->setName(arg_names[i]);
    }

    builder_.SetInsertPoint(
        llvm::BasicBlock::Create(module_.getContext(), "entry", function_));
    const ir::Function& source = program_.functions[index];
    values_.clear();
    for (size_t i = 0; i < source.body.size(); ++i) {
      values_.push_back(LowerInst(source.body[i], "v" + std::to_string(i)));
    }
    builder_.CreateRet(values_.back().word0);
  }

  // The predicates of a set of segments in one function, each lowered
  // again in place rather than called, so that no call is paid per
  // segment and the optimiser shares the loads of the profile's words.
  // The members are stored at the end, after every load, so that no store
  // stands between two loads of the same word.
  void LowerSegmentSet(size_t index, const std::vector<int32_t>& segments) {
    auto* ptr = builder_.getPtrTy();
    auto* type = llvm::FunctionType::get(builder_.getVoidTy(),
                                         {ptr, ptr, ptr, word_, ptr}, false);
    function_ = llvm::Function::Create(type, llvm::Function::InternalLinkage,
                                       SegmentSetSymbol(index), module_);
    functions_.push_back(function_);
    function_->setDoesNotThrow();
    const char* arg_names[] = {"profile", "event", "locals", "now", "members"};
    for (unsigned i = 0; i < 5; ++i) {
      function_->getArg(i)->setName(arg_names[i]);
    }

    builder_.SetInsertPoint(
        llvm::BasicBlock::Create(module_.getContext(), "entry", function_));
    std::vector<llvm::Value*> members;
    for (int32_t segment : segments) {
      const ir::Function& source =
          program_.functions[program_.segments[segment].predicate];
      // Built piece by piece: GCC 12 warns (-Wrestrict, wrongly) about
      // `"literal" + std::string` here.
      std::string prefix = "s";
      prefix += std::to_string(segment);
      prefix += ".v";
      values_.clear();
      for (size_t i = 0; i < source.body.size(); ++i) {
        values_.push_back(
            LowerInst(source.body[i], prefix + std::to_string(i)));
      }
      llvm::Value* holds = builder_.CreateICmpNE(values_.back().word0, Word(0));
      members.push_back(builder_.CreateZExt(holds, word_));
    }

    for (size_t k = 0; k < members.size(); ++k) {
      llvm::Value* address = builder_.CreateConstGEP1_64(
          word_, function_->getArg(4), static_cast<uint64_t>(k));
      builder_.CreateAlignedStore(members[k], address, llvm::Align(8));
    }
    builder_.CreateRetVoid();
  }

  // One exported symbol instead of one per function: the linker and the
  // lookup then do constant work however many functions a program has.
  void DefineTable() {
    auto* type = llvm::ArrayType::get(builder_.getPtrTy(), functions_.size());
    std::vector<llvm::Constant*> entries(functions_.begin(), functions_.end());
    new llvm::GlobalVariable(
        module_, type, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
        llvm::ConstantArray::get(type, entries), kFunctionTableSymbol);
  }

  Words LowerInst(const ir::Inst& inst, const std::string& name) {
    switch (inst.op) {
      case Op::Const: return {Word(inst.imm), Word(inst.imm2)};
      case Op::ConstString:
        return {builder_.CreatePtrToInt(strings_[inst.imm], word_, name),
                Word(static_cast<int64_t>(program_.strings[inst.imm].size()))};
      case Op::Load: return Load(inst, name);
      case Op::IsPresent: {
        llvm::Value* presence = LoadWord(inst.base, inst.imm, name + ".word");
        return Bool(builder_.CreateICmpNE(presence, Word(0)), name);
      }
      case Op::Now: return {function_->getArg(3), Word(0)};
      case Op::Add:
      case Op::Sub:
      case Op::Mul:
      case Op::Div:
        return Arithmetic(inst, Operand(inst.a), Operand(inst.b), name);
      case Op::Neg: {
        Words a = Operand(inst.a);
        return {builder_.CreateSub(Word(0), a.word0, name), a.word1};
      }
      case Op::Eq:
      case Op::Ne:
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge:
        return Bool(Compare(inst, Operand(inst.a), Operand(inst.b)), name);
      case Op::And:
      case Op::Guard:
        return {builder_.CreateAnd(Operand(inst.a).word0, Operand(inst.b).word0,
                                   name),
                Word(0)};
      case Op::Or:
        return {builder_.CreateOr(Operand(inst.a).word0, Operand(inst.b).word0,
                                  name),
                Word(0)};
      case Op::Not:
        // Flips bit 0 only, as the interpreter does; on 0/1 that is `not`.
        return {builder_.CreateXor(Operand(inst.a).word0, Word(1), name),
                Word(0)};
      case Op::IntToDecimal:
        return {builder_.CreateMul(Operand(inst.a).word0,
                                   Word(ir::kDecimalScale), name),
                Word(0)};
      case Op::WholeUnits:
        return {FloorDiv(Operand(inst.a).word0, inst.imm, name), Word(0)};
      case Op::MoneyAmount: return {Operand(inst.a).word0, Word(0)};
      case Op::MoneyCurrency: return {Operand(inst.a).word1, Word(0)};
      case Op::DistanceKm:
        return {builder_.CreateCall(
                    distance_km_,
                    {Operand(inst.a).word0, Operand(inst.b).word0,
                     Operand(static_cast<int32_t>(inst.imm)).word0,
                     Operand(static_cast<int32_t>(inst.imm2)).word0},
                    name),
                Word(0)};
      case Op::SpeedKmh:
        return {CallHelper(speed_kmh_, Operand(inst.a).word0,
                           Operand(inst.b).word0, name),
                Word(0)};
      case Op::LocalDay:
      case Op::DayStart: {
        Words zone = Operand(inst.b);
        llvm::Function* helper =
            inst.op == Op::LocalDay ? local_day_ : day_start_;
        return {builder_.CreateCall(
                    helper,
                    {Operand(inst.a).word0,
                     builder_.CreateIntToPtr(zone.word0, builder_.getPtrTy()),
                     zone.word1},
                    name),
                Word(0)};
      }
      case Op::AddCalendar: {
        Words zone = Operand(inst.b);
        return {builder_.CreateCall(
                    add_calendar_,
                    {Operand(inst.a).word0, Word(inst.imm), Word(inst.imm2),
                     builder_.CreateIntToPtr(zone.word0, builder_.getPtrTy()),
                     zone.word1},
                    name),
                Word(0)};
      }
      case Op::AddToDate:
        return {
            builder_.CreateCall(
                add_calendar_to_date_,
                {Operand(inst.a).word0, Word(inst.imm), Word(inst.imm2)}, name),
            Word(0)};
      case Op::ListContains: {
        Words list = Operand(inst.a);
        Words item = Operand(inst.b);
        auto kind = static_cast<int64_t>(ir::ListItemKindOf(inst.operand_type));
        return {builder_.CreateCall(
                    list_contains_,
                    {builder_.CreateIntToPtr(list.word0, builder_.getPtrTy()),
                     list.word1, item.word0, item.word1, Word(kind)},
                    name),
                Word(0)};
      }
      case Op::InSet: return InSet(inst, name);
    }
    return {Word(0), Word(0)};
  }

  Words Load(const ir::Inst& inst, const std::string& name) {
    llvm::Value* word0 = LoadWord(inst.base, inst.imm, name);
    if (ir::WordCount(inst.type) == 1) return {word0, Word(0)};
    return {word0, LoadWord(inst.base, inst.imm + 1, name + ".1")};
  }

  llvm::Value* LoadWord(ir::Base base, int64_t offset,
                        const std::string& name) {
    llvm::Value* address = builder_.CreateConstGEP1_64(
        word_, BasePointer(base), static_cast<uint64_t>(offset));
    return builder_.CreateAlignedLoad(word_, address, llvm::Align(8), name);
  }

  llvm::Value* BasePointer(ir::Base base) {
    switch (base) {
      case ir::Base::Profile: return function_->getArg(0);
      case ir::Base::Event: return function_->getArg(1);
      case ir::Base::Local: return function_->getArg(2);
    }
    return function_->getArg(0);
  }

  // Add, Sub, Mul and Div, dispatched on the result type exactly as the
  // interpreter's `Arithmetic` is: money keeps or combines the currency,
  // decimal and money multiply and divide through the C helpers, and every
  // other type uses wrapping integer arithmetic.
  Words Arithmetic(const ir::Inst& inst, Words a, Words b,
                   const std::string& name) {
    if (inst.type == Type::Money) {
      switch (inst.op) {
        case Op::Add:
          return {builder_.CreateAdd(a.word0, b.word0, name),
                  CombineCurrency(a.word1, b.word1, name + ".1")};
        case Op::Sub:
          return {builder_.CreateSub(a.word0, b.word0, name),
                  CombineCurrency(a.word1, b.word1, name + ".1")};
        case Op::Mul: return {DecimalMul(a.word0, b.word0, name), a.word1};
        case Op::Div: return {DecimalDiv(a.word0, b.word0, name), a.word1};
        default: break;
      }
    }
    if (inst.type == Type::Decimal && inst.op == Op::Mul) {
      return {DecimalMul(a.word0, b.word0, name), Word(0)};
    }
    if (inst.type == Type::Decimal && inst.op == Op::Div) {
      return {DecimalDiv(a.word0, b.word0, name), Word(0)};
    }

    // IRBuilder adds no `nsw`/`nuw` flags by default, so these wrap.
    switch (inst.op) {
      case Op::Add:
        return {builder_.CreateAdd(a.word0, b.word0, name), Word(0)};
      case Op::Sub:
        return {builder_.CreateSub(a.word0, b.word0, name), Word(0)};
      case Op::Mul:
        return {builder_.CreateMul(a.word0, b.word0, name), Word(0)};
      case Op::Div: return {IntDiv(a.word0, b.word0, name), Word(0)};
      default: break;
    }
    return {Word(0), Word(0)};
  }

  // `ir::CombineCurrency`, branch-free.
  llvm::Value* CombineCurrency(llvm::Value* a, llvm::Value* b,
                               const std::string& name) {
    llvm::Value* none = Word(ir::kNoCurrency);
    llvm::Value* otherwise = builder_.CreateSelect(
        builder_.CreateICmpEQ(b, none), a, Word(ir::kMixedCurrency));
    otherwise =
        builder_.CreateSelect(builder_.CreateICmpEQ(a, none), b, otherwise);
    return builder_.CreateSelect(builder_.CreateICmpEQ(a, b), a, otherwise,
                                 name);
  }

  // `ir::IntDiv`: 0 when b == 0, 0 - a (wrapping) when b == -1, else a / b.
  // The `sdiv` always runs, on a divisor replaced by 1 in both special
  // cases, so no path divides by zero or computes INT64_MIN / -1 (both
  // undefined in LLVM IR), and the code stays branch-free.
  llvm::Value* IntDiv(llvm::Value* a, llvm::Value* b, const std::string& name) {
    llvm::Value* is_zero = builder_.CreateICmpEQ(b, Word(0));
    llvm::Value* is_minus_one = builder_.CreateICmpEQ(b, Word(-1));
    llvm::Value* special = builder_.CreateOr(is_zero, is_minus_one);
    llvm::Value* divisor = builder_.CreateSelect(special, Word(1), b);
    llvm::Value* quotient = builder_.CreateSDiv(a, divisor);

    llvm::Value* negated = builder_.CreateSub(Word(0), a);
    llvm::Value* result =
        builder_.CreateSelect(is_minus_one, negated, quotient);
    return builder_.CreateSelect(is_zero, Word(0), result, name);
  }

  // `ir::FloorDiv` by a constant `unit` >= 1 (the verifier sees to it), so
  // the `sdiv` never divides by zero or overflows.
  llvm::Value* FloorDiv(llvm::Value* a, int64_t unit, const std::string& name) {
    llvm::Value* quotient = builder_.CreateSDiv(a, Word(unit));
    llvm::Value* remainder = builder_.CreateSRem(a, Word(unit));
    llvm::Value* inexact_below_zero =
        builder_.CreateAnd(builder_.CreateICmpNE(remainder, Word(0)),
                           builder_.CreateICmpSLT(a, Word(0)));
    return builder_.CreateSub(
        quotient, builder_.CreateZExt(inexact_below_zero, word_), name);
  }

  // `parcours_decimal_mul`: (a * b) / kDecimalScale, toward zero. When the
  // product fits in 64 bits, as it nearly always does, 64-bit arithmetic
  // gives the same quotient as the helper's 128-bit one, and written
  // inline it folds with a constant operand (`x * 0.02` becomes `x / 50`).
  // Only an overflowing product calls the helper.
  llvm::Value* DecimalMul(llvm::Value* a, llvm::Value* b,
                          const std::string& name) {
    llvm::Value* overflow = builder_.CreateExtractValue(
        builder_.CreateBinaryIntrinsic(llvm::Intrinsic::smul_with_overflow, a,
                                       b),
        1);
    return FastOrHelper(
        overflow,
        [&] {
          llvm::Value* product = builder_.CreateNSWMul(a, b);
          return builder_.CreateSDiv(product, Word(ir::kDecimalScale));
        },
        decimal_mul_, a, b, name);
  }

  // `parcours_decimal_div`: (a * kDecimalScale) / b, toward zero, 0 when b
  // is 0. Inline when b is not 0 and the scaled dividend fits in 64 bits:
  // it is then a multiple of kDecimalScale, so never INT64_MIN, and the
  // 64-bit division neither overflows nor differs from the helper's.
  llvm::Value* DecimalDiv(llvm::Value* a, llvm::Value* b,
                          const std::string& name) {
    llvm::Value* overflow = builder_.CreateExtractValue(
        builder_.CreateBinaryIntrinsic(llvm::Intrinsic::smul_with_overflow, a,
                                       Word(ir::kDecimalScale)),
        1);
    llvm::Value* slow =
        builder_.CreateOr(overflow, builder_.CreateICmpEQ(b, Word(0)));
    return FastOrHelper(
        slow,
        [&] {
          llvm::Value* scaled =
              builder_.CreateNSWMul(a, Word(ir::kDecimalScale));
          return builder_.CreateSDiv(scaled, b);
        },
        decimal_div_, a, b, name);
  }

  // Branches on `slow`: the helper's call on (a, b) when it holds, what
  // `fast` emits otherwise; the result is their phi.
  template <typename Fast>
  llvm::Value* FastOrHelper(llvm::Value* slow, Fast fast,
                            llvm::Function* helper, llvm::Value* a,
                            llvm::Value* b, const std::string& name) {
    llvm::LLVMContext& context = module_.getContext();
    auto* fast_block =
        llvm::BasicBlock::Create(context, name + ".fast", function_);
    auto* slow_block =
        llvm::BasicBlock::Create(context, name + ".slow", function_);
    auto* join = llvm::BasicBlock::Create(context, name + ".join", function_);
    builder_.CreateCondBr(slow, slow_block, fast_block);

    builder_.SetInsertPoint(fast_block);
    llvm::Value* fast_value = fast();
    builder_.CreateBr(join);

    builder_.SetInsertPoint(slow_block);
    llvm::Value* slow_value = CallHelper(helper, a, b, name + ".call");
    builder_.CreateBr(join);

    builder_.SetInsertPoint(join);
    llvm::PHINode* phi = builder_.CreatePHI(word_, 2, name);
    phi->addIncoming(fast_value, fast_block);
    phi->addIncoming(slow_value, slow_block);
    return phi;
  }

  // String `==` as an i1: the lengths first, and only when they are equal
  // the bytes. Against a literal of up to 16 bytes the bytes are compared
  // as at most two overlapping integer loads, which fold to constants on
  // the literal's side; otherwise by the helper. The same truth as
  // `parcours_string_compare(...) == 0`, which the interpreter uses.
  llvm::Value* StringEquals(Words a, Words b, const std::string& name) {
    llvm::LLVMContext& context = module_.getContext();
    llvm::BasicBlock* entry = builder_.GetInsertBlock();
    auto* bytes_block =
        llvm::BasicBlock::Create(context, name + ".bytes", function_);
    auto* join = llvm::BasicBlock::Create(context, name + ".join", function_);
    llvm::Value* same_length = builder_.CreateICmpEQ(a.word1, b.word1);
    builder_.CreateCondBr(same_length, bytes_block, join);

    builder_.SetInsertPoint(bytes_block);
    llvm::Value* same_bytes = SameBytes(a, b);
    llvm::BasicBlock* bytes_end = builder_.GetInsertBlock();
    builder_.CreateBr(join);

    builder_.SetInsertPoint(join);
    llvm::PHINode* phi = builder_.CreatePHI(builder_.getInt1Ty(), 2, name);
    phi->addIncoming(builder_.getFalse(), entry);
    phi->addIncoming(same_bytes, bytes_end);
    return phi;
  }

  // Whether strings `a` and `b`, known to have the same length, hold the
  // same bytes.
  llvm::Value* SameBytes(Words a, Words b) {
    auto* literal_length = llvm::dyn_cast<llvm::ConstantInt>(b.word1);
    if (literal_length == nullptr) {
      literal_length = llvm::dyn_cast<llvm::ConstantInt>(a.word1);
    }
    int64_t length =
        literal_length != nullptr ? literal_length->getSExtValue() : -1;
    if (length < 0 || length > 16) {
      llvm::Value* order = builder_.CreateCall(
          string_compare_,
          {Pointer(a.word0), a.word1, Pointer(b.word0), b.word1});
      return builder_.CreateICmpEQ(order, Word(0));
    }
    if (length == 0) return builder_.getTrue();

    // The widest power of two up to the length, loaded at the start and at
    // the end: two loads cover every length from it to twice it.
    int64_t width = 1;
    while (width * 2 <= length) width *= 2;
    width = std::min<int64_t>(width, 8);
    auto* piece = builder_.getIntNTy(static_cast<unsigned>(width * 8));
    llvm::Value* same = builder_.getTrue();
    for (int64_t offset : {int64_t{0}, length - width}) {
      llvm::Value* left = LoadPiece(a.word0, offset, piece);
      llvm::Value* right = LoadPiece(b.word0, offset, piece);
      same = builder_.CreateAnd(same, builder_.CreateICmpEQ(left, right));
      if (length == width) break;
    }
    return same;
  }

  llvm::Value* LoadPiece(llvm::Value* address, int64_t offset,
                         llvm::Type* piece) {
    llvm::Value* at = builder_.CreateConstGEP1_64(
        builder_.getInt8Ty(), Pointer(address), static_cast<uint64_t>(offset));
    return builder_.CreateAlignedLoad(piece, at, llvm::Align(1));
  }

  llvm::Value* Pointer(llvm::Value* word) {
    return builder_.CreateIntToPtr(word, builder_.getPtrTy());
  }

  // A comparison as an i1.
  llvm::Value* Compare(const ir::Inst& inst, Words a, Words b) {
    llvm::CmpInst::Predicate predicate = SignedPredicate(inst.op);

    if (inst.operand_type == Type::String && inst.op == Op::Eq) {
      return StringEquals(a, b, "streq");
    }
    if (inst.operand_type == Type::String && inst.op == Op::Ne) {
      return builder_.CreateNot(StringEquals(a, b, "streq"));
    }
    if (inst.operand_type == Type::String) {
      llvm::Value* order = builder_.CreateCall(
          string_compare_,
          {builder_.CreateIntToPtr(a.word0, builder_.getPtrTy()), a.word1,
           builder_.CreateIntToPtr(b.word0, builder_.getPtrTy()), b.word1});
      return builder_.CreateICmp(predicate, order, Word(0));
    }

    llvm::Value* ordered = builder_.CreateICmp(predicate, a.word0, b.word0);
    if (inst.operand_type != Type::Money) return ordered;

    // `ir::ComparableCurrencies`: money of two currencies, or mixed money,
    // compares false whatever the predicate, `ne` included.
    llvm::Value* none = Word(ir::kNoCurrency);
    llvm::Value* mixed = Word(ir::kMixedCurrency);
    llvm::Value* agree = builder_.CreateOr(
        builder_.CreateICmpEQ(a.word1, b.word1),
        builder_.CreateOr(builder_.CreateICmpEQ(a.word1, none),
                          builder_.CreateICmpEQ(b.word1, none)));
    llvm::Value* valid =
        builder_.CreateAnd(builder_.CreateICmpNE(a.word1, mixed),
                           builder_.CreateICmpNE(b.word1, mixed));
    return builder_.CreateAnd(ordered, builder_.CreateAnd(agree, valid));
  }

  llvm::Value* CallHelper(llvm::Function* helper, llvm::Value* a,
                          llvm::Value* b, const std::string& name) {
    return builder_.CreateCall(helper, {a, b}, name);
  }

  Words Bool(llvm::Value* bit, const std::string& name) {
    return {builder_.CreateZExt(bit, word_, name), Word(0)};
  }

  Words Operand(int32_t index) const { return values_[index]; }

  llvm::Constant* Word(int64_t value) {
    return llvm::ConstantInt::get(word_, static_cast<uint64_t>(value),
                                  /*isSigned=*/true);
  }

  const ir::Program& program_;
  llvm::Module& module_;
  llvm::IRBuilder<> builder_;
  llvm::IntegerType* word_;
  llvm::Function* decimal_mul_ = nullptr;
  llvm::Function* decimal_div_ = nullptr;
  llvm::Function* string_compare_ = nullptr;
  llvm::Function* distance_km_ = nullptr;
  llvm::Function* speed_kmh_ = nullptr;
  llvm::Function* local_day_ = nullptr;
  llvm::Function* day_start_ = nullptr;
  llvm::Function* add_calendar_ = nullptr;
  llvm::Function* add_calendar_to_date_ = nullptr;
  llvm::Function* list_contains_ = nullptr;
  llvm::Function* words_contain_ = nullptr;
  llvm::Function* strings_contain_ = nullptr;
  std::vector<llvm::GlobalVariable*> strings_;
  // Per ConstSet: its words, and its bytes (null but for strings).
  std::vector<llvm::GlobalVariable*> set_words_;
  std::vector<llvm::GlobalVariable*> set_bytes_;
  std::vector<llvm::Function*> functions_;

  // The function being lowered and the values of its instructions so far.
  llvm::Function* function_ = nullptr;
  std::vector<Words> values_;
};

}  // namespace

std::string FunctionSymbol(size_t index) {
  return "pc_fn" + std::to_string(index);
}

std::string SegmentSetSymbol(size_t index) {
  return "pc_segments" + std::to_string(index);
}

std::unique_ptr<llvm::Module> LowerProgram(const ir::Program& program,
                                           llvm::LLVMContext& context,
                                           const llvm::DataLayout& layout,
                                           const llvm::Triple& triple) {
  // Named after the program only, never after a path or a time, so that
  // `--emit llvm` and the object cache key are stable.
  std::string name =
      program.module.empty() ? "parcours" : "parcours." + program.module;
  auto module = std::make_unique<llvm::Module>(name, context);
  module->setSourceFileName(name);
  module->setDataLayout(layout);
  module->setTargetTriple(triple.str());

  ProgramLowering(program, *module).Lower();
  return module;
}

}  // namespace parcours::jit
