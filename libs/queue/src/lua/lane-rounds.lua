-- lane-rounds.lua: hands out fair-share rounds in a lane's priority bands, atomically: one call per job or batch
-- enqueued, on any API instance. A tenant's next request takes the round after its last one, but never one
-- before the band's current round (the lowest round still waiting), so a tenant that arrives late starts level
-- with the others and tenants alternate, each taking one round at a time.
-- Keys: all in the queue's slot (BullMQ's hash-tagged prefix on a cluster).
-- KEYS[1]    the queue's prioritized zset (BullMQ: score = priority * 2^32 + an insertion counter)
-- KEYS[2]    the lane's band generations: a hash band -> generation, bumped when a band is found empty
-- KEYS[3..]  one round key per group (tenant and band): a string "<generation>:<last round given>"
-- ARGV[1]    the lane's first BullMQ priority (band 0, round 0)
-- ARGV[2]    rounds per band
-- ARGV[3]    lifetime of a round key, seconds (refreshed on every use)
-- ARGV[4..]  per group, two values: its band, and how many requests it enqueues
-- Returns    per group, its first round (its requests take first, first + 1, ...; the caller caps at the band)
local base = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local scale = 4294967296
local firsts = {}
for group = 1, #KEYS - 2 do
  local band = ARGV[2 + group * 2]
  local count = tonumber(ARGV[3 + group * 2])
  local low = base + tonumber(band) * span
  local generation = tonumber(redis.call('HGET', KEYS[2], band) or '0')
  local head = redis.call('ZRANGEBYSCORE', KEYS[1], string.format('%.0f', low * scale), '(' .. string.format('%.0f', (low + span) * scale), 'WITHSCORES', 'LIMIT', 0, 1)
  local current = 0
  if head[2] == nil then
    -- Nothing waits in the band: every tenant's last round is history, rounds start again at 0.
    generation = generation + 1
    redis.call('HSET', KEYS[2], band, generation)
  else
    current = math.floor(tonumber(head[2]) / scale) - low
  end
  local first = current
  local state = redis.call('GET', KEYS[2 + group])
  if state then
    local seen, last = string.match(state, '^(%d+):(%d+)$')
    if tonumber(seen) == generation and tonumber(last) + 1 > current then
      first = tonumber(last) + 1
    end
  end
  redis.call('SET', KEYS[2 + group], generation .. ':' .. string.format('%.0f', first + count - 1), 'EX', ttl)
  firsts[group] = first
end
return firsts
