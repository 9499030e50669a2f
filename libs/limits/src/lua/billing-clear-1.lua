-- billing-clear-1.lua: a job's billing record, deleted when it says 'released' (includes/billing-clear).
-- KEYS, Returns: includes/billing-clear's (no ARGV)
--- @include "includes/billing-clear"
return clearReleased(KEYS, ARGV)
