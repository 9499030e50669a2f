-- includes/usage-fold.lua: foldUsage(KEYS, ARGV) books the count (`jobs`) and breakdown of settled calls (by agent, model, provider and key,
-- and their tokens) into the day hashes they belong to, from the list settlement appends them to
-- (budget-settle-14.lua), then empties it. Settlement books each call's `total` (what budgets check) at once and
-- leaves the rest here: one RPUSH per call instead of a HINCRBY per field, one HINCRBY per distinct field per fold.
-- Settlement folds the list when it reaches its threshold; every usage report folds it before reading (so reports
-- are exact at any moment).
-- KEYS[1]  the list of entries, each JSON: {"d": day hash, "k": the key's day hash (absent without a key),
--          "c": cost (nano-USD), "f": [fields of both hashes], "g": [fields of the global hash only],
--          "t": {token field: count}}
-- ARGV[1]  day hash TTL (s), for a day hash the fold finds without one (its calls settled, then it lapsed)
-- Returns  {the number of entries folded}
local function foldUsage(KEYS, ARGV)
  local entries = redis.call('LRANGE', KEYS[1], 0, -1)
  if #entries == 0 then
    return {#entries}
  end
  local sums, hashes = {}, {}
  local function add(hash, field, amount)
    local fields = sums[hash]
    if fields == nil then
      fields = {}
      sums[hash] = fields
      hashes[#hashes + 1] = hash
    end
    fields[field] = (fields[field] or 0) + amount
  end
  for _, raw in ipairs(entries) do
    local entry = cjson.decode(raw)
    add(entry.d, 'jobs', 1)
    if entry.k then
      add(entry.k, 'jobs', 1)
    end
    for _, field in ipairs(entry.f) do
      add(entry.d, field, entry.c)
      if entry.k then
        add(entry.k, field, entry.c)
      end
    end
    for _, field in ipairs(entry.g or {}) do
      add(entry.d, field, entry.c)
    end
    for field, count in pairs(entry.t or {}) do
      add(entry.d, field, count)
      if entry.k then
        add(entry.k, field, count)
      end
    end
  end
  for _, hash in ipairs(hashes) do
    for field, amount in pairs(sums[hash]) do
      redis.call('HINCRBY', hash, field, string.format('%.0f', amount))
    end
    if redis.call('TTL', hash) == -1 then
      redis.call('EXPIRE', hash, ARGV[1])
    end
  end
  redis.call('DEL', KEYS[1])
  return {#entries}
end
