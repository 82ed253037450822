-- How long visits take (admission to their end), a moving average: with the zone's capacity, the
-- pace the line moves at. A visit's end is known from its first one, unlike the gaps between
-- admissions, which are long while the first visitors of a sale are still inside.
local function visitEnded(room, key)
  local admittedAt = tonumber(redis.call('HGET', key, 'admittedAt') or '')
  if not admittedAt then return end
  local t = redis.call('TIME')
  local visit = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - admittedAt
  local average = tonumber(redis.call('HGET', room, 'visitMs') or '')
  if average then visit = 0.8 * average + 0.2 * visit end
  redis.call('HSET', room, 'visitMs', math.floor(visit))
end
