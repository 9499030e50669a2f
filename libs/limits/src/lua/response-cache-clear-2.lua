-- response-cache-clear-2.lua: empties one response-cache scope a slice at a time (DELETE /admin/cache): each call
-- drops its oldest entries, their bytes and their keys together, so the book is right after every slice.
-- KEYS[1]  the scope's index (see includes/cache-entries.lua)
-- KEYS[2]  the scope's sizes
-- ARGV[1]  the scope's entry name prefix
-- ARGV[2]  entries dropped at most by this call
-- Returns  {Done, deleted, remaining}  `deleted`: entry keys that still existed; `remaining`: entries left in the book
--- @include "includes/codes"
--- @include "includes/cache-entries"
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local deleted = 0
for _, member in ipairs(members) do
  deleted = deleted + dropEntry(KEYS[1], KEYS[2], ARGV[1], member)
end
local remaining = redis.call('ZCARD', KEYS[1])
if remaining == 0 then
  redis.call('DEL', KEYS[2])
end
return {Code.Done, deleted, remaining}
