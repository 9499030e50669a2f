-- deployment-take-1.lua: may a worker call this deployment now? Shared by every worker; also folds in what the
-- worker's calls that ended since its last take corrected (a flush alone when ARGV[9] is 0).
-- Requests, tokens and ended calls are counted per slice of the window (a twelfth of it, by the slice a call
-- started in); a call goes when the last `span` slices leave room for it: a whole window however it is placed over
-- them, and a margin for the delay between this count and the upstream's. Calls in flight are those of these
-- slices not yet ended (a call of a worker that died stops counting when its slice leaves).
-- KEYS[1]  the deployment's hash: r:<slice> requests, t:<slice> tokens, e:<slice> ended calls, paused_until (ms)
-- ARGV[1]  now in ms, or '' for the Redis server's TIME
-- ARGV[2]  the window, ms
-- ARGV[3]  requests per window (0: no limit)
-- ARGV[4]  tokens per window (0: no limit)
-- ARGV[5]  calls in flight at most (0: no limit)
-- ARGV[6]  this call's estimated tokens (prompt and the most it may generate)
-- ARGV[7]  the share of each limit this call may fill (1 for an interactive call; less leaves the rest to them)
-- ARGV[8]  slices counted (span, at least 13)
-- ARGV[9]  1: take a place; 0: only fold in the corrections
-- ARGV[10..] corrections, three values each: slice, token delta (real less estimated), calls ended
-- Returns  {Done, slice, 0}          go: the call counted in that slice (or the corrections folded in)
--          {RateLimited, wait_ms, why} full for wait_ms at least (why: 1 requests, 2 tokens, 3 calls in flight)
--          {Paused, wait_ms, 0}      the deployment answered 429; paused for wait_ms more
--- @include "includes/codes"
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local windowMs = tonumber(ARGV[2])
local sliceMs = windowMs / 12
local span = tonumber(ARGV[8])
local slice = math.floor(now / sliceMs)
local fields = {'paused_until'}
for index = slice - span + 1, slice do
  fields[#fields + 1] = 'r:' .. index
  fields[#fields + 1] = 't:' .. index
  fields[#fields + 1] = 'e:' .. index
end
for at = 10, #ARGV, 3 do
  fields[#fields + 1] = 't:' .. ARGV[at]
  fields[#fields + 1] = 'e:' .. ARGV[at]
end
local read = redis.call('HMGET', KEYS[1], unpack(fields))
local value, known, changed = {}, {}, {}
for index, field in ipairs(fields) do
  value[field] = tonumber(read[index] or '0')
  known[field] = read[index] ~= false
end
-- Corrections of slices still kept; one whose slice went has nothing left to correct.
for at = 10, #ARGV, 3 do
  local tokens, ended = 't:' .. ARGV[at], 'e:' .. ARGV[at]
  if known[tokens] then
    value[tokens] = math.max(0, value[tokens] + tonumber(ARGV[at + 1]))
    value[ended] = value[ended] + tonumber(ARGV[at + 2])
    changed[tokens] = true
    changed[ended] = true
  end
end
local function write()
  local pairs_ = {}
  for field in pairs(changed) do
    pairs_[#pairs_ + 1] = field
    pairs_[#pairs_ + 1] = value[field]
  end
  if #pairs_ > 0 then redis.call('HSET', KEYS[1], unpack(pairs_)) end
end
if ARGV[9] ~= '1' then
  write()
  return {Code.Done, slice, 0}
end
if value['paused_until'] > now then
  write()
  return {Code.Paused, value['paused_until'] - now, 0}
end
local rpm, tpm, most = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local estimate, share = tonumber(ARGV[6]), tonumber(ARGV[7])
local requests, tokens, ended, oldestRequest, oldestToken = 0, 0, 0, nil, nil
for index = slice - span + 1, slice do
  local r, t = value['r:' .. index], value['t:' .. index]
  requests = requests + r
  tokens = tokens + t
  ended = ended + value['e:' .. index]
  if r > 0 and not oldestRequest then oldestRequest = index end
  if t > 0 and not oldestToken then oldestToken = index end
end
-- A slice leaves the count once `span` slices have begun after it.
local function untilGone(oldest)
  return math.max(1, math.ceil((oldest + span) * sliceMs - now))
end
if most > 0 and requests - ended >= math.max(1, math.floor(most * share)) then
  write()
  -- When a call ends is not known: look again soon (a slice's tenth, between 50 ms and 1 s).
  return {Code.RateLimited, math.max(50, math.min(1000, math.floor(sliceMs / 10))), 3}
end
if rpm > 0 and requests + 1 > rpm * share then
  write()
  return {Code.RateLimited, untilGone(oldestRequest or slice), 1}
end
-- One call larger than the whole limit still goes alone, rather than never.
if tpm > 0 and tokens > 0 and tokens + estimate > tpm * share then
  write()
  return {Code.RateLimited, untilGone(oldestToken or slice), 2}
end
local newSlice = not known['r:' .. slice]
value['r:' .. slice] = value['r:' .. slice] + 1
value['t:' .. slice] = value['t:' .. slice] + estimate
changed['r:' .. slice] = true
changed['t:' .. slice] = true
write()
if newSlice then
  -- The first call of a slice: the slices that left the count go, and the hash lives two windows past it.
  local stale = {}
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    local index = tonumber(string.sub(field, 3))
    if index and index <= slice - span then stale[#stale + 1] = field end
  end
  if #stale > 0 then redis.call('HDEL', KEYS[1], unpack(stale)) end
  if redis.call('PTTL', KEYS[1]) < windowMs * 2 then redis.call('PEXPIRE', KEYS[1], math.ceil(windowMs * 2)) end
end
return {Code.Done, slice, 0}
