-- includes/rate.lua: rate(KEYS, ARGV), a request's rate limit: its own bucket (the API key's, else its agent's), then the bucket of its
-- caller above the agents' (the static token's, or every unauthenticated request's, whatever agent_id it names),
-- both or neither: when the caller's bucket refuses, the tokens the first one gave are put back. Takes
-- includes/token-bucket.
-- KEYS[1]  the request's own bucket (includes/token-bucket KEYS[1])
-- KEYS[2]  the caller's bucket (untouched when ARGV[6] is '' or ARGV[8] is 0; in the same slot as KEYS[1])
-- ARGV[1..4] includes/token-bucket ARGV[1..4] for KEYS[1] (rate, capacity, tokens, now)
-- ARGV[5]  includes/token-bucket ARGV[5] for both buckets ('1': a cost above the capacity may leave a full bucket in debt)
-- ARGV[6]  the caller bucket's rate (tokens per second), or '' for none (an API key's request)
-- ARGV[7]  the caller bucket's capacity
-- ARGV[8]  tokens the caller's bucket gives (a batch's first agent takes the whole batch's there; later ones 0)
-- Returns  includes/token-bucket's reply for KEYS[1] when it refuses or the caller's bucket allows (tokens_left: the
--          request's own bucket), or {CallerRateLimited, tokens_left, retry_after_ms, now} (the caller's)
--- @include "includes/codes"
--- @include "includes/token-bucket"
local function rate(KEYS, ARGV)
  local own = tokenBucket({KEYS[1]}, {ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]})
  local callerCost = tonumber(ARGV[8] or '0') or 0
  if own[1] < 0 or ARGV[6] == '' or callerCost <= 0 then
    return own
  end
  -- One clock for both buckets: the first one's reading of TIME, else the caller's ARGV[4].
  local now = ARGV[4]
  if own[4] >= 0 then
    now = tostring(own[4])
  end
  local caller = tokenBucket({KEYS[2]}, {ARGV[6], ARGV[7], ARGV[8], now, ARGV[5]})
  if caller[1] >= 0 then
    return own
  end
  -- Refused above: the request takes nothing from its own bucket either (it is as it was, at the same instant).
  local state = redis.call('GET', KEYS[1])
  local colon = string.find(state, ':', 1, true)
  local tokens = tonumber(string.sub(state, 1, colon - 1)) + tonumber(ARGV[3])
  local rate = tonumber(ARGV[1])
  local ttl = math.ceil((tonumber(ARGV[2]) - tokens) / rate * 1000) + 1000
  redis.call('SET', KEYS[1], tostring(tokens) .. ':' .. string.sub(state, colon + 1), 'PX', ttl)
  if caller[1] == Code.RateLimited then
    return {Code.CallerRateLimited, caller[2], caller[3], own[4]}
  end
  return {caller[1], caller[2], caller[3], own[4]}
end
