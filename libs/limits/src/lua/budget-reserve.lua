-- budget-reserve.lua: the budget reservation of one job or of a batch's jobs (includes/budget-reserve) as a script of
-- its own; it reads the server's TIME.
-- KEYS, ARGV, Returns: includes/budget-reserve's (KEYS[9 + i] per job: any number of keys)
--- @include "includes/budget-reserve"
return budgetReserve(KEYS, ARGV, nil)
