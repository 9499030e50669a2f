-- lane-rounds.lua: hands out fair-share rounds in a lane's priority bands, atomically: one call per job or batch
-- enqueued, on any API instance. A tenant's next request takes the round after its last one, but never one
-- before the band's current round (the lowest round still waiting), so a tenant that arrives late starts level
-- with the others and tenants alternate, each taking one round at a time.
-- Keys: all in the queue's slot (BullMQ's hash-tagged prefix on a cluster).
-- KEYS[1]    the queue's prioritized zset (BullMQ: score = priority * 2^32 + an insertion counter)
-- KEYS[2]    the lane's band generations: a hash band -> generation, bumped when a band is found empty
-- KEYS[3]    the lane's tenants with a backlog: a zset "<band>:<tenant>" -> band * span + last round given (members
--            whose last round is behind their band's current round are dropped here: no backlog left)
-- KEYS[4..]  one round key per group (tenant and band): a string "<generation>:<last round given>"
-- ARGV[1]    the lane's first BullMQ priority (band 0, round 0)
-- ARGV[2]    rounds per band
-- ARGV[3]    lifetime of a round key, seconds (refreshed on every use)
-- ARGV[4..]  per group, three values: its band, how many requests it enqueues, its tenant
-- Returns    per group, its first round (its requests take first, first + 1, ...; the caller caps at the band)
local base = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local scale = 4294967296
local firsts = {}
for group = 1, #KEYS - 3 do
  local band = ARGV[1 + group * 3]
  local count = tonumber(ARGV[2 + group * 3])
  local tenant = ARGV[3 + group * 3]
  local low = base + tonumber(band) * span
  local generation = tonumber(redis.call('HGET', KEYS[2], band) or '0')
  local head = redis.call('ZRANGEBYSCORE', KEYS[1], string.format('%.0f', low * scale), '(' .. string.format('%.0f', (low + span) * scale), 'WITHSCORES', 'LIMIT', 0, 1)
  local current = 0
  local offset = tonumber(band) * span
  if head[2] == nil then
    -- Nothing waits in the band: every tenant's last round is history, rounds start again at 0.
    generation = generation + 1
    redis.call('HSET', KEYS[2], band, generation)
    redis.call('ZREMRANGEBYSCORE', KEYS[3], offset, '(' .. (offset + span))
  else
    current = math.floor(tonumber(head[2]) / scale) - low
    redis.call('ZREMRANGEBYSCORE', KEYS[3], offset, '(' .. (offset + current))
  end
  local first = current
  local state = redis.call('GET', KEYS[3 + group])
  if state then
    local seen, last = string.match(state, '^(%d+):(%d+)$')
    if tonumber(seen) == generation and tonumber(last) + 1 > current then
      first = tonumber(last) + 1
    end
  end
  redis.call('SET', KEYS[3 + group], generation .. ':' .. string.format('%.0f', first + count - 1), 'EX', ttl)
  redis.call('ZADD', KEYS[3], offset + math.min(first + count - 1, span - 1), band .. ':' .. tenant)
  redis.call('EXPIRE', KEYS[3], ttl)
  firsts[group] = first
end
return firsts
