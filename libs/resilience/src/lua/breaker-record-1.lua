-- breaker-record-1.lua: records the outcome of a call in a provider's circuit, and announces when the circuit stops or starts being
-- "clean" (closed with no failure counted): workers that know it is clean skip asking it before each call.
-- KEYS[1]  the provider's breaker hash (fields: state, failures, opened_at, trial_until, version)
-- ARGV[1]  outcome: 'success' closes; 'failure' counts (opens at the threshold, re-opens a half-open circuit);
--          'neutral' (the request was invalid or the caller cancelled: says nothing of the provider's health)
--          only frees a half-open trial slot
-- ARGV[2]  failure threshold: consecutive failures that open a closed circuit
-- ARGV[3]  channel announcing clean changes ('' for none): message `<provider> <clean 0|1> <version>`
-- ARGV[4]  the provider's id (in the announcement)
-- Returns  {state, changed, clean, version}: state 0 closed, 1 open, 2 half-open; changed 1 when this call moved
--          it; clean 1 when closed with no failure counted; version counts clean changes (orders announcements)
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local codes = { closed = 0, open = 1, half_open = 2 }
local fields = redis.call('HMGET', KEYS[1], 'state', 'failures', 'version')
local state = fields[1] or 'closed'
local failures = tonumber(fields[2] or '0')
local version = tonumber(fields[3] or '0')
local outcome = ARGV[1]

local function record()
  if outcome == 'success' then
    if state == 'closed' and failures == 0 then
      return { 0, 0 }
    end
    redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0)
    redis.call('HDEL', KEYS[1], 'opened_at', 'trial_until')
    if state == 'closed' then
      return { 0, 0 }
    end
    return { 0, 1 }
  end
  if outcome == 'failure' then
    if state == 'half_open' then
      redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', now)
      redis.call('HDEL', KEYS[1], 'trial_until')
      return { 1, 1 }
    end
    if state == 'open' then
      -- a call let through before the circuit opened, failing late: it is open already
      return { 1, 0 }
    end
    local counted = redis.call('HINCRBY', KEYS[1], 'failures', 1)
    if counted >= tonumber(ARGV[2]) then
      redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', now)
      return { 1, 1 }
    end
    return { 0, 0 }
  end
  -- neutral
  if state == 'half_open' then
    redis.call('HSET', KEYS[1], 'trial_until', 0)
  end
  return { codes[state], 0 }
end

local result = record()
local cleanBefore = state == 'closed' and failures == 0
local after = redis.call('HMGET', KEYS[1], 'state', 'failures')
local cleanAfter = (after[1] or 'closed') == 'closed' and tonumber(after[2] or '0') == 0
if cleanBefore ~= cleanAfter then
  version = redis.call('HINCRBY', KEYS[1], 'version', 1)
  if ARGV[3] ~= '' then
    redis.call('PUBLISH', ARGV[3], ARGV[4] .. ' ' .. (cleanAfter and '1' or '0') .. ' ' .. version)
  end
end
return { result[1], result[2], cleanAfter and 1 or 0, version }
