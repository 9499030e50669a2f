-- breaker-acquire-1.lua: asks a provider's circuit whether a call may go through; grants at most one half-open trial at a time.
-- KEYS[1]  the provider's breaker hash (fields: state, failures, opened_at, trial_until)
-- ARGV[1]  reset time in ms: how long the circuit stays open before a trial
-- ARGV[2]  trial lease in ms: a trial whose outcome was never recorded (worker died) frees the slot after this
-- Returns  1 closed with no failure counted: call (a success then has nothing to reset);
--          3 closed with failures counted: call (a success must reset them); 2 half-open trial granted: call;
--          -1 open: skip; -2 half-open, another worker's trial is in flight: skip
-- Time is Redis's own (TIME), so workers on machines with skewed clocks agree; read only when needed, the
-- closed circuit (every healthy call) costs one HMGET.
local fields = redis.call('HMGET', KEYS[1], 'state', 'failures')
local state = fields[1]
if not state or state == 'closed' then
  if tonumber(fields[2] or '0') > 0 then
    return 3
  end
  return 1
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local lease = now + tonumber(ARGV[2])
if state == 'open' then
  local openedAt = tonumber(redis.call('HGET', KEYS[1], 'opened_at') or '0')
  if now - openedAt < tonumber(ARGV[1]) then
    return -1
  end
  redis.call('HSET', KEYS[1], 'state', 'half_open', 'trial_until', lease)
  return 2
end
-- half_open: one trial at a time
local trialUntil = tonumber(redis.call('HGET', KEYS[1], 'trial_until') or '0')
if now < trialUntil then
  return -2
end
redis.call('HSET', KEYS[1], 'trial_until', lease)
return 2
