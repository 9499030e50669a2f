-- response-cache-store-4.lua: keeps a job's answer in the response cache, books its bytes in its scope and clears the
-- request's in-flight mark, in one step. The scope's expired entries leave first; then, while the scope would pass
-- its quota, its oldest entries (by the time they were written, which is their expiry order too) are evicted: a
-- scope's bytes never pass the quota, and one scope never evicts another's. An answer larger than the whole quota is
-- not kept.
-- KEYS[1]  the entry (string: the answer's JSON)
-- KEYS[2]  its in-flight mark
-- KEYS[3]  the scope's index (see includes/cache-entries.lua)
-- KEYS[4]  the scope's sizes
-- ARGV[1]  the entry's hash (its member in the index and the sizes)
-- ARGV[2]  the answer's JSON
-- ARGV[3]  its lifetime (ms)
-- ARGV[4]  the scope's quota (bytes)
-- ARGV[5]  the scope's entry name prefix
-- Returns  {Done, evicted, total}           kept; `evicted`: older entries dropped to make room; `total`: the scope's bytes
--          {CacheTooLarge, 0, total}        not kept (and any earlier answer of the request dropped)
--- @include "includes/codes"
--- @include "includes/cache-entries"
local member, answer, ttl, quota, entryPrefix = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
redis.call('DEL', KEYS[2])
local now = nowMs()
trimExpired(KEYS[3], KEYS[4], entryPrefix, now, 100)
-- The request's earlier answer (a refresh, a job run again) is replaced: its bytes leave first.
local earlier = redis.call('HGET', KEYS[4], member)
if earlier then
  dropEntry(KEYS[3], KEYS[4], entryPrefix, member, tonumber(earlier))
end
local size = string.len(answer)
if size > quota then
  return {Code.CacheTooLarge, 0, tonumber(redis.call('HGET', KEYS[4], 'total') or '0')}
end
-- Counted first; then the oldest entries leave until the scope is within its quota again.
local total = redis.call('HINCRBY', KEYS[4], 'total', size)
local evicted = 0
while total > quota do
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0)
  if #oldest == 0 then
    -- No entry left to evict: the count is the new entry's alone.
    redis.call('HSET', KEYS[4], 'total', size)
    total = size
  else
    local _, freed = dropEntry(KEYS[3], KEYS[4], entryPrefix, oldest[1])
    total = total - freed
    evicted = evicted + 1
  end
end
redis.call('SET', KEYS[1], answer, 'PX', ttl)
redis.call('HSET', KEYS[4], member, size)
redis.call('ZADD', KEYS[3], now + ttl, member)
-- The book lives as long as its newest entry, which outlives every other (its two keys always expire together).
if redis.call('PTTL', KEYS[3]) < ttl then
  redis.call('PEXPIRE', KEYS[3], ttl)
  redis.call('PEXPIRE', KEYS[4], ttl)
end
return {Code.Done, evicted, total}
