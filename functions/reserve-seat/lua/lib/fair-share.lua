-- Whether process `me` holds its share of the slots while other processes wait for one (each has
-- marked itself in `waiting` until a moment shortly ahead): then what frees up goes to them, so a
-- replica that started later, or got unlucky, is not starved by one whose callers keep coming.
local function overShare(bulkhead, waiting, me, limit, now)
  redis.call('ZREMRANGEBYSCORE', waiting, '-inf', now)
  local others = redis.call('ZCARD', waiting)
  if redis.call('ZSCORE', waiting, me) then others = others - 1 end
  if others <= 0 then return false end
  local mine, prefix = 0, me .. ':'
  for _, holder in ipairs(redis.call('ZRANGE', bulkhead, 0, -1)) do
    if string.sub(holder, 1, #prefix) == prefix then mine = mine + 1 end
  end
  return mine >= math.ceil(limit / (others + 1))
end
