-- deployment-take-1.lua: may a worker call this deployment now? Shared by every worker; also folds in what the
-- worker's calls that ended since its last take corrected (a flush alone when ARGV[9] is 0).
-- Requests, tokens and ended calls are counted per slice of the window (a twelfth of it, by the slice a call
-- started in); a call goes when the last `span` slices leave room for it: a whole window however it is placed over
-- them, and a margin for the delay between this count and the upstream's. Calls in flight are those of these
-- slices not yet ended (a call of a worker that died stops counting when its slice leaves).
-- The sums of the slices counted are kept beside them (R, T, E, from slice `s` on), so a take reads a few fields
-- whatever the span: a slice that leaves is taken out of the sums once, by the first take after it left.
-- KEYS[1]  the deployment's hash: r:<slice> requests, t:<slice> tokens, e:<slice> ended calls; R, T, E their sums
--          over the slices from slice `s` on (those not yet taken out); s; paused_until (ms)
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
local key = KEYS[1]
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local windowMs = tonumber(ARGV[2])
local sliceMs = windowMs / 12
local span = tonumber(ARGV[8])
local slice = math.floor(now / sliceMs)
-- The oldest slice counted now.
local first = slice - span + 1
local fields = {'paused_until', 'R', 'T', 'E', 's', 'r:' .. slice, 't:' .. slice}
local header = #fields
for at = 10, #ARGV, 3 do
  fields[#fields + 1] = 't:' .. ARGV[at]
  fields[#fields + 1] = 'e:' .. ARGV[at]
end
local read = redis.call('HMGET', key, unpack(fields))
local pausedUntil = tonumber(read[1] or '0')
local sums = {R = tonumber(read[2] or '0'), T = tonumber(read[3] or '0'), E = tonumber(read[4] or '0')}
local from = tonumber(read[5] or '')
-- Fields to write (name -> count), the slices' counts as corrected here among them.
local write = {}
-- Corrections of slices still counted; one whose slice went has nothing left to correct.
for index = 10, #ARGV, 3 do
  local at = (index - 10) / 3 * 2 + header + 1
  local tName, eName = fields[at], fields[at + 1]
  local tokens = write[tName] or tonumber(read[at] or '')
  if tokens and from and tonumber(ARGV[index]) >= from then
    local corrected = math.max(0, tokens + tonumber(ARGV[index + 1]))
    local ended = tonumber(ARGV[index + 2])
    sums.T = sums.T + corrected - tokens
    sums.E = sums.E + ended
    write[tName] = corrected
    write[eName] = (write[eName] or tonumber(read[at + 1] or '0')) + ended
  end
end
-- Slices that left the count come out of the sums (and the hash). No sums yet (a new hash), or none taken out for
-- several spans (nothing called for minutes): the sums are counted again from the fields the hash holds.
local recounted = false
if not from or first - from > span * 4 then
  recounted = true
  sums.R, sums.T, sums.E = 0, 0, 0
  local stale = {}
  local all = redis.call('HGETALL', key)
  for index = 1, #all, 2 do
    local field = all[index]
    local kind, at = string.match(field, '^([rte]):(-?%d+)$')
    if kind then
      if tonumber(at) < first then
        stale[#stale + 1] = field
        write[field] = nil
      else
        local count = write[field] or tonumber(all[index + 1])
        local sum = string.upper(kind)
        sums[sum] = sums[sum] + count
      end
    end
  end
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  -- A correction of a slice that left, to a count the hash did not hold yet, is not written either.
  for field in pairs(write) do
    if tonumber(string.match(field, '^[rte]:(-?%d+)$') or first) < first then write[field] = nil end
  end
  from = first
  write.s = first
elseif from < first then
  local gone = {}
  for at = from, first - 1 do
    gone[#gone + 1] = 'r:' .. at
    gone[#gone + 1] = 't:' .. at
    gone[#gone + 1] = 'e:' .. at
  end
  local counts = redis.call('HMGET', key, unpack(gone))
  for index, field in ipairs(gone) do
    local sum = string.upper(string.sub(field, 1, 1))
    sums[sum] = sums[sum] - (write[field] or tonumber(counts[index] or '0'))
    write[field] = nil
  end
  redis.call('HDEL', key, unpack(gone))
  from = first
  write.s = first
end
local function save(fresh)
  write.R, write.T, write.E = sums.R, sums.T, sums.E
  local pairs_ = {}
  for field, count in pairs(write) do
    pairs_[#pairs_ + 1] = field
    pairs_[#pairs_ + 1] = string.format('%d', count)
  end
  redis.call('HSET', key, unpack(pairs_))
  -- A hash begun here, or the first call of a slice: it lives two windows past it.
  if fresh or recounted then redis.call('PEXPIRE', key, math.ceil(windowMs * 2)) end
end
if ARGV[9] ~= '1' then
  save(false)
  return {Code.Done, slice, 0}
end
if pausedUntil > now then
  save(false)
  return {Code.Paused, pausedUntil - now, 0}
end
local rpm, tpm, most = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local estimate, share = tonumber(ARGV[6]), tonumber(ARGV[7])
-- When a full limit has room again: its oldest count leaves once `span` slices have begun after its slice.
local function untilGone(kind)
  local names = {}
  for at = first, slice do
    names[#names + 1] = kind .. ':' .. at
  end
  local counts = redis.call('HMGET', key, unpack(names))
  local oldest = slice
  for index, count in ipairs(counts) do
    if tonumber(write[names[index]] or count or '0') > 0 then
      oldest = first + index - 1
      break
    end
  end
  return math.max(1, math.ceil((oldest + span) * sliceMs - now))
end
if most > 0 and sums.R - sums.E >= math.max(1, math.floor(most * share)) then
  save(false)
  -- When a call ends is not known: look again soon (a slice's tenth, between 50 ms and 1 s).
  return {Code.RateLimited, math.max(50, math.min(1000, math.floor(sliceMs / 10))), 3}
end
if rpm > 0 and sums.R + 1 > rpm * share then
  save(false)
  return {Code.RateLimited, untilGone('r'), 1}
end
-- One call larger than the whole limit still goes alone, rather than never.
if tpm > 0 and sums.T > 0 and sums.T + estimate > tpm * share then
  save(false)
  return {Code.RateLimited, untilGone('t'), 2}
end
-- The call counts in its slice; in the oldest one the sums count when this worker's clock is behind theirs by more
-- than `span` slices (so that it leaves the sums with that slice).
local at, counts = slice, {read[6], read[7]}
if slice < from then
  at = from
  counts = redis.call('HMGET', key, 'r:' .. at, 't:' .. at)
end
local rName, tName = 'r:' .. at, 't:' .. at
write[rName] = tonumber(counts[1] or '0') + 1
write[tName] = (write[tName] or tonumber(counts[2] or '0')) + estimate
sums.R, sums.T = sums.R + 1, sums.T + estimate
save(not counts[1])
return {Code.Done, at, 0}
