-- budget-settle-10.lua: bills a finished job's real cost once, whatever happens to the job afterwards
-- (a retry, a re-run after a worker crash, a second completion), to the global ledger and (a job made with an API
-- key) to the key's, drops its reservations, and (optionally) publishes the job's reply in the same round trip:
-- the reply is sent only once the job is billed. Runs after reservation-drop-2.lua, prepended as dropReservation.
-- KEYS[1]  in-flight hash (see budget-reserve.lua)
-- KEYS[2]  in-flight expiry zset
-- KEYS[3]  spend hash of the UTC day the job finished in: total, jobs, agent:/model:/provider:/key: breakdown
-- KEYS[4]  spend hash of the UTC month the job finished in: total and jobs (the breakdown is the sum of its days)
-- KEYS[5]  the job's billing record ('reserved:<amount>' while reserved, see budget-reserve.lua)
-- KEYS[6..9] the key's in-flight hash, expiry zset, day and month spend hashes (unused when ARGV[11] is '')
-- KEYS[10] observed cost hash: model -> what a recent call of it cost (budget-reserve.lua reserves at least that)
-- ARGV[1]  job id
-- ARGV[2]  real cost (nano-USD, integer >= 0)
-- ARGV[3]  agent field (e.g. `agent:my-agent`, or `agent:` for requests without one)
-- ARGV[4]  model field (e.g. `model:thudm/glm-4-9b-chat`)
-- ARGV[5]  provider field (e.g. `provider:openrouter`)
-- ARGV[6]  day hash TTL (s)
-- ARGV[7]  month hash TTL (s)
-- ARGV[8]  billing record TTL (s)
-- ARGV[9]  reply channel to PUBLISH to, or '' for none
-- ARGV[10] reply message
-- ARGV[11] the API key's id, or ''
-- ARGV[12] the model the request asked for, to learn its cost from ('' for a free call: nothing learned)
-- ARGV[13] observed cost hash TTL (s)
-- ARGV[14..17] the call's tokens by kind: prompt, cached (of the prompt), completion, reasoning (of the completion)
-- Returns  {1, reserved} billed now (reserved: the reservation it replaced, 0 if none);
--          {2, 0} already billed for this job id (nothing changed; the reply is still published)
local function reply()
  if ARGV[9] ~= '' then
    redis.call('PUBLISH', ARGV[9], ARGV[10])
  end
end
-- Marks the job billed and reads what it was before, in one command (the script is atomic: booking follows).
-- What it was before holds the reservation's amount, to drop from each ledger that still holds it.
local before = redis.call('SET', KEYS[5], 'settled', 'EX', ARGV[8], 'GET')
if before == 'settled' then
  reply()
  return {2, 0}
end
local reserved = dropReservation({KEYS[1], KEYS[2]}, {ARGV[1], before})
local tokenKinds = {'prompt', 'cached', 'completion', 'reasoning'}
-- A period's hashes get their lifetime from its first job (nothing else creates them).
local function book(day, month, breakdown)
  redis.call('HINCRBY', day, 'total', ARGV[2])
  -- Free calls too: an agent, model or provider that only made free calls still shows in the breakdown (at 0).
  for _, field in ipairs(breakdown) do
    redis.call('HINCRBY', day, field, ARGV[2])
  end
  if redis.call('HINCRBY', day, 'jobs', 1) == 1 then
    redis.call('EXPIRE', day, ARGV[6])
  end
  -- Tokens go to the day only: a month's are the sum of its days (as its breakdown is).
  for k, kind in ipairs(tokenKinds) do
    if tonumber(ARGV[13 + k]) > 0 then
      redis.call('HINCRBY', day, 'tokens:' .. kind, ARGV[13 + k])
    end
  end
  redis.call('HINCRBY', month, 'total', ARGV[2])
  if redis.call('HINCRBY', month, 'jobs', 1) == 1 then
    redis.call('EXPIRE', month, ARGV[7])
  end
end
local breakdown = {ARGV[3], ARGV[4], ARGV[5]}
if ARGV[11] ~= '' then
  breakdown[4] = 'key:' .. ARGV[11]
  dropReservation({KEYS[6], KEYS[7]}, {ARGV[1], before})
  book(KEYS[8], KEYS[9], {ARGV[3], ARGV[4], ARGV[5]})
end
book(KEYS[3], KEYS[4], breakdown)
-- A decaying maximum: a dearer call raises it at once, cheaper ones bring it down by 10 % a call; a free call
-- (another provider served it, e.g. a local fallback) teaches nothing.
if ARGV[12] ~= '' and tonumber(ARGV[2]) > 0 then
  local cost = tonumber(ARGV[2])
  local previous = tonumber(redis.call('HGET', KEYS[10], ARGV[12]) or '0')
  local decayed = math.floor(previous * 0.9)
  -- The hash lives ARGV[13] seconds from when it was made (then each model is learned again, from one call).
  if redis.call('HSET', KEYS[10], ARGV[12], cost > decayed and cost or decayed) == 1 and redis.call('TTL', KEYS[10]) < 0 then
    redis.call('EXPIRE', KEYS[10], ARGV[13])
  end
end
reply()
return {1, reserved}
