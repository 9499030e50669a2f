-- lane-rounds.lua: hands out fair-share rounds in a lane's priority bands, atomically: one call per job or batch
-- enqueued, on any API instance. A tenant's next request takes the position after its last one, but never one
-- before the band's current round (the lowest round still waiting), so a tenant that arrives late starts level
-- with the others and tenants alternate. Positions are counted in ticks (ARGV[4] per round): a request of weight w
-- advances its tenant by ticks / w, so a tenant of weight 3 takes three requests per round of the others' one.
-- Keys: all in the queue's slot (BullMQ's hash-tagged prefix on a cluster).
-- KEYS[1]    the queue's prioritized zset (BullMQ: score = priority * 2^32 + an insertion counter)
-- KEYS[2]    the lane's band generations: a hash band -> generation, bumped when a band is found empty
-- KEYS[3]    the lane's tenants with a backlog: a zset "<band>:<tenant>" -> band * span + last round given (members
--            whose last round is behind their band's current round are dropped here: no backlog left)
-- KEYS[4..]  one round key per group (tenant and band): a string "<generation>:<last position given, in ticks>"
-- ARGV[1]    the lane's first BullMQ priority (band 0, round 0)
-- ARGV[2]    rounds per band
-- ARGV[3]    lifetime of a round key, seconds (refreshed on every use)
-- ARGV[4]    ticks per round
-- ARGV[5..]  per group, four values: its band, how many requests it enqueues, its tenant, its step in ticks
-- Returns    per group, its first position in ticks (request k is at first + k * step: round floor(that / ticks);
--            the caller caps rounds at the band's last)
local base = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local ticks = tonumber(ARGV[4])
local scale = 4294967296
local firsts = {}
for group = 1, #KEYS - 3 do
  local band = ARGV[1 + group * 4]
  local count = tonumber(ARGV[2 + group * 4])
  local tenant = ARGV[3 + group * 4]
  local step = tonumber(ARGV[4 + group * 4])
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
  local first = current * ticks
  local state = redis.call('GET', KEYS[3 + group])
  if state then
    local seen, last = string.match(state, '^(%d+):(%d+)$')
    if tonumber(seen) == generation and tonumber(last) + step > first then
      first = tonumber(last) + step
    end
  end
  local last = first + (count - 1) * step
  redis.call('SET', KEYS[3 + group], generation .. ':' .. string.format('%.0f', last), 'EX', ttl)
  redis.call('ZADD', KEYS[3], offset + math.min(math.floor(last / ticks), span - 1), band .. ':' .. tenant)
  redis.call('EXPIRE', KEYS[3], ttl)
  firsts[group] = string.format('%.0f', first)
end
return firsts
