// `on date profile.birthday at 09:00 local`: a yearly start on the date's
// month and day, on the recipient's wall clock.
#include <date/date.h>

#include "compiler/ir/evaluator.h"
#include "runtime/engine/calendar.h"
#include "runtime/engine/engine.h"

namespace parcours::engine {

int64_t Engine::NextDateTrigger(const store::Profile& profile,
                                const ir::Journey& journey,
                                int64_t time) const {
  // The date is read as the profile holds it now, so a changed attribute
  // moves the next start (the engine re-plans after every change).
  ir::Frame frame{profile.record.data(), nullptr, nullptr, time};
  if (journey.trigger_date_present >= 0 &&
      evaluator_.Call(journey.trigger_date_present, frame) == 0) {
    return kNever;
  }
  int64_t days = evaluator_.Call(journey.trigger_date, frame);

  // Only the month and the day count: the year of a birthday is the year
  // of birth, not of a start.
  constexpr int64_t kDayLimit = 3'000'000;  // about year 10,000
  if (days > kDayLimit || days < -kDayLimit) return kNever;
  date::year_month_day ymd{date::sys_days{date::days{days}}};
  return NextAnniversary(time, static_cast<int>(unsigned{ymd.month()}),
                         static_cast<int>(unsigned{ymd.day()}),
                         journey.schedule_clock, TimeZone(profile));
}

}  // namespace parcours::engine
