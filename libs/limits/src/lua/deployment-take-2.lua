-- deployment-take-2.lua: may a worker call this deployment now? Shared by every worker.
-- Requests and tokens are counted per slice of the window (a twelfth of it, by the slice a call started in); a call
-- goes when the last `span` slices leave room for it: a whole window however it is placed over them, and more for
-- the delay between this count and the upstream's (at least a slice, and at least two seconds).
-- KEYS[1]  the deployment's window (hash: r:<slice> requests, t:<slice> tokens, paused_until ms)
-- KEYS[2]  the deployment's calls in flight (sorted set: lease id -> the ms its lease lapses)
-- ARGV[1]  now in ms, or '' for the Redis server's TIME
-- ARGV[2]  the window, ms
-- ARGV[3]  requests per window (0: no limit)
-- ARGV[4]  tokens per window (0: no limit)
-- ARGV[5]  calls in flight at most (0: no limit)
-- ARGV[6]  this call's estimated tokens (prompt and the most it may generate)
-- ARGV[7]  the share of each limit this call may fill (1 for an interactive call; less leaves the rest to them)
-- ARGV[8]  the lease id of this call
-- ARGV[9]  how long the lease lasts at most (ms): a worker that died mid-call frees its place after it
-- ARGV[10] slices counted (span: at least 13)
-- Returns  {Done, slice, 0}         go: the call counted, its lease taken
--          {RateLimited, wait_ms, why} full for wait_ms at least (why: 1 requests, 2 tokens, 3 calls in flight)
--          {Paused, wait_ms, 0}     the deployment answered 429; paused for wait_ms more
--- @include "includes/codes"
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused_until') or '0')
if paused > now then
  return {Code.Paused, paused - now, 0}
end
local windowMs = tonumber(ARGV[2])
local sliceMs = windowMs / 12
local span = tonumber(ARGV[10])
local rpm, tpm, most = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local estimate, share, leaseMs = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[9])
if most > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= math.max(1, math.floor(most * share)) then
    -- When a call ends is not known: look again soon (a slice's tenth, between 50 ms and 1 s).
    return {Code.RateLimited, math.max(50, math.min(1000, math.floor(sliceMs / 10))), 3}
  end
end
local slice = math.floor(now / sliceMs)
local fields = {}
for index = slice - span + 1, slice do
  fields[#fields + 1] = 'r:' .. index
  fields[#fields + 1] = 't:' .. index
end
local values = redis.call('HMGET', KEYS[1], unpack(fields))
local requests, tokens, oldestRequest, oldestToken = 0, 0, nil, nil
for offset = 0, span - 1 do
  local r = tonumber(values[offset * 2 + 1] or '0')
  local t = tonumber(values[offset * 2 + 2] or '0')
  requests = requests + r
  tokens = tokens + t
  if r > 0 and not oldestRequest then oldestRequest = slice - span + 1 + offset end
  if t > 0 and not oldestToken then oldestToken = slice - span + 1 + offset end
end
-- A slice leaves the count once `span` slices have begun after it.
local function until_gone(oldest)
  return math.max(1, math.ceil((oldest + span) * sliceMs - now))
end
if rpm > 0 and requests + 1 > rpm * share then
  return {Code.RateLimited, until_gone(oldestRequest or slice), 1}
end
-- One call larger than the whole limit still goes alone, rather than never.
if tpm > 0 and tokens > 0 and tokens + estimate > tpm * share then
  return {Code.RateLimited, until_gone(oldestToken or slice), 2}
end
if values[span * 2 - 1] == false and values[span * 2] == false then
  -- The first call of a slice: slices that left the count go.
  local stale = {}
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    local index = tonumber(string.sub(field, 3))
    if index and index <= slice - span then stale[#stale + 1] = field end
  end
  if #stale > 0 then redis.call('HDEL', KEYS[1], unpack(stale)) end
end
redis.call('HINCRBY', KEYS[1], 'r:' .. slice, 1)
redis.call('HINCRBY', KEYS[1], 't:' .. slice, estimate)
if redis.call('PTTL', KEYS[1]) < windowMs * 2 then
  redis.call('PEXPIRE', KEYS[1], math.ceil(windowMs * 2))
end
redis.call('ZADD', KEYS[2], now + leaseMs, ARGV[8])
redis.call('PEXPIRE', KEYS[2], leaseMs)
return {Code.Done, slice, 0}
