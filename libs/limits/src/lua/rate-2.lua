-- rate-2.lua: a request's rate limit, its own bucket then its caller's (includes/rate), as a script of its own.
-- KEYS, ARGV, Returns: includes/rate's
--- @include "includes/rate"
return rate(KEYS, ARGV)
