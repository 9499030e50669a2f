-- includes/codes.lua: the reply codes of the limits scripts, by the names of LimitScriptCode (scripts.ts): negative
-- a refusal, positive done. lua-files.spec.ts checks this table against the enum, and that no script returns a code
-- as a number, so the two languages cannot drift.
-- Defines  Code: name -> code
local Code = {
  RateLimited = -1,
  CostExceedsCapacity = -2,
  DailyExceeded = -3,
  MonthlyExceeded = -4,
  Paused = -5,
  KeyDailyExceeded = -6,
  KeyMonthlyExceeded = -7,
  BatchCapReached = -8,
  Duplicate = -9,
  Spent = -10,
  CallerRateLimited = -11,
  CacheTooLarge = -12,
  Done = 1,
  AlreadyDone = 2,
  CacheHit = 3,
  CacheLead = 4,
  CacheInFlight = 5,
}
