-- batch-page-1.lua: a page of an owner's batches, newest first, by rank, so that batches made in the same millisecond
-- neither repeat nor go missing across pages (OpenAI's `after` paging, and Anthropic's `after_id`/`before_id`).
-- KEYS[1]  the owner's index (a sorted set: batch id -> created ms): its Message Batches, or its other batches
-- ARGV[1]  'after': the page after the cursor (older batches); 'before': the page just before it (newer ones)
-- ARGV[2]  the cursor's batch id ('' with 'after': the newest page)
-- ARGV[3]  the page's size
-- Returns  {hasMore, id...}: 1 when more batches lie beyond the page in its direction; {0} for an unknown cursor
local limit = tonumber(ARGV[3])
local rank = -1
if ARGV[2] ~= '' then
  rank = redis.call('ZREVRANK', KEYS[1], ARGV[2])
  if not rank then
    return {0}
  end
end
local ids
local more
if ARGV[1] == 'before' then
  if rank < 0 then
    return {0}
  end
  local first = math.max(0, rank - limit)
  if rank == 0 then
    ids = {}
  else
    ids = redis.call('ZREVRANGE', KEYS[1], first, rank - 1)
  end
  more = first > 0
else
  ids = redis.call('ZREVRANGE', KEYS[1], rank + 1, rank + limit + 1)
  more = #ids > limit
  if more then
    table.remove(ids)
  end
end
table.insert(ids, 1, more and 1 or 0)
return ids
