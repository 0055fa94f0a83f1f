#include "compiler/lower/loyalty.h"

#include <algorithm>

namespace parcours::lower {
namespace {

using syntax::Expr;
using syntax::ExprKind;
using RuleKind = syntax::ProgramRule::Kind;

ir::CalendarUnit UnitOf(syntax::CalendarUnit unit) {
  switch (unit) {
    case syntax::CalendarUnit::Day: return ir::CalendarUnit::Day;
    case syntax::CalendarUnit::Week: return ir::CalendarUnit::Week;
    case syntax::CalendarUnit::Month: return ir::CalendarUnit::Month;
    case syntax::CalendarUnit::Year: return ir::CalendarUnit::Year;
  }
  return ir::CalendarUnit::Day;
}

// The checker accepts only literal lengths here: `30d` or `24 months`.
ir::LoyaltyLength LengthOf(const Expr& length) {
  ir::LoyaltyLength lowered;
  lowered.count = length.int_value;
  lowered.calendar = length.kind == ExprKind::Calendar;
  if (lowered.calendar) lowered.unit = UnitOf(length.calendar_unit);
  return lowered;
}

// `OrderPlaced.total`: the event's index and the field's.
std::pair<int32_t, int32_t> EventField(const sema::CheckedProgram& checked,
                                       const Expr& field) {
  const std::string& event = field.operands[0]->text;
  for (size_t e = 0; e < checked.events.size(); ++e) {
    if (checked.events[e].name != event) continue;
    const auto& fields = checked.events[e].fields;
    for (size_t f = 0; f < fields.size(); ++f) {
      if (fields[f].name == field.field.text) {
        return {static_cast<int32_t>(e), static_cast<int32_t>(f)};
      }
    }
  }
  return {-1, -1};
}

int32_t EventIndex(const sema::CheckedProgram& checked,
                   const std::string& name) {
  for (size_t e = 0; e < checked.events.size(); ++e) {
    if (checked.events[e].name == name) return static_cast<int32_t>(e);
  }
  return -1;
}

}  // namespace

ir::LoyaltyProgram LowerLoyaltyProgram(
    const sema::CheckedProgram& checked, const sema::ProgramInfo& program,
    int32_t first_word,
    const std::function<int32_t(const std::string&, const syntax::Expr&)>&
        lower_function) {
  ir::LoyaltyProgram lowered;
  lowered.name = program.name;
  lowered.balance_offset = first_word;
  lowered.tier_offset = first_word + 1;
  lowered.redeemed_share_offset = first_word + 2;
  if (program.tier_enum >= 0) {
    lowered.tier_values = checked.enums[program.tier_enum].values;
  }

  std::string prefix = "program." + program.name + ".";
  for (const syntax::ProgramRule& rule : program.decl->rules) {
    switch (rule.kind) {
      case RuleKind::EarnPer: {
        ir::EarnPerAmount earn;
        auto [event, field] = EventField(checked, *rule.third);
        earn.event_type = event;
        earn.field = field;
        earn.points = rule.first->int_value;
        earn.unit_amount = rule.second->int_value;
        earn.unit_currency = ir::PackCurrency(rule.second->text);
        lowered.earn_per_amount.push_back(earn);
        break;
      }
      case RuleKind::EarnOn: {
        ir::EarnOnEvent earn;
        earn.event_type = EventIndex(checked, rule.name.text);
        earn.points = rule.first->int_value;
        if (rule.second) earn.at_most_once_per = LengthOf(*rule.second);
        earn.part_of_sale = rule.part_of_sale;
        lowered.earn_on_event.push_back(earn);
        break;
      }
      case RuleKind::Multiply: {
        ir::Multiplier multiplier;
        multiplier.factor = rule.factor;
        multiplier.condition =
            lower_function(prefix + "multiply" +
                               std::to_string(lowered.multipliers.size() + 1),
                           *rule.first);
        lowered.multipliers.push_back(multiplier);
        break;
      }
      case RuleKind::Burn: {
        auto [event, field] = EventField(checked, *rule.first);
        lowered.burn_event = event;
        lowered.burn_field = field;
        break;
      }
      case RuleKind::Refund: {
        auto [event, field] = EventField(checked, *rule.first);
        lowered.refund_event = event;
        lowered.refund_field = field;
        if (rule.second) {
          lowered.refund_amount_field =
              EventField(checked, *rule.second).second;
        }
        break;
      }
      case RuleKind::Expire: lowered.expire = LengthOf(*rule.first); break;
      case RuleKind::Notice: lowered.notice = LengthOf(*rule.first); break;
      case RuleKind::KeepTier: lowered.keep_tier = LengthOf(*rule.first); break;
      case RuleKind::Tier: {
        ir::LoyaltyTier tier;
        tier.name = rule.name.text;
        auto found = std::find(lowered.tier_values.begin(),
                               lowered.tier_values.end(), tier.name);
        tier.value = static_cast<int32_t>(found - lowered.tier_values.begin());
        tier.threshold = rule.first->int_value;
        tier.within = LengthOf(*rule.second);
        lowered.tiers.push_back(tier);
        break;
      }
      case RuleKind::Value:
        lowered.value_per_point = rule.first->int_value;
        lowered.currency = ir::PackCurrency(rule.first->text);
        break;
      case RuleKind::Breakage: lowered.breakage = rule.first->int_value; break;
    }
  }
  return lowered;
}

}  // namespace parcours::lower
