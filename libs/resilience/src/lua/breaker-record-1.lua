-- Records the outcome of a call in a provider's circuit.
-- KEYS[1]  the provider's breaker hash (fields: state, failures, opened_at, trial_until)
-- ARGV[1]  outcome: 'success' closes; 'failure' counts (opens at the threshold, re-opens a half-open circuit);
--          'neutral' (the request was invalid or the caller cancelled: says nothing of the provider's health)
--          only frees a half-open trial slot
-- ARGV[2]  failure threshold: consecutive failures that open a closed circuit
-- Returns  {state, changed}: state 0 closed, 1 open, 2 half-open; changed 1 when this call moved it
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local codes = { closed = 0, open = 1, half_open = 2 }
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local outcome = ARGV[1]

if outcome == 'success' then
  local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
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
  local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
  if failures >= tonumber(ARGV[2]) then
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
