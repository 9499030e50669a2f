-- usage-fold-1.lua: folds the usage list into the day hashes (includes/usage-fold) before a report reads them.
-- KEYS, ARGV, Returns: includes/usage-fold's
--- @include "includes/usage-fold"
return foldUsage(KEYS, ARGV)
