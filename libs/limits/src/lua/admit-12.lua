-- admit-12.lua: a request's admission in one round trip (includes/admit), as a script of its own (the two-step
-- enqueue: admission, then BullMQ's add).
-- KEYS, ARGV, Returns: includes/admit's
--- @include "includes/admit"
return admit(KEYS, ARGV)
