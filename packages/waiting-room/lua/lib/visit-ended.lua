-- How long visits take (admission to their end), a moving average: with the zone's capacity, the
-- pace the line moves at. A visit's end is known from its first one, unlike the gaps between
-- admissions, which are long while the first visitors of a sale are still inside. `field`: the
-- average to keep ('visitMs' unless told; leave.lua keeps 'leftVisitMs' too: the visits of those
-- who left the zone, mostly people who found no seat left, which is how long the people ahead
-- whom the seats left cannot serve hold a slot; finish.lua keeps 'orderVisitMs': the visits that
-- ended with an order, a buyer's).
local function visitEnded(room, key, field)
  field = field or 'visitMs'
  local admittedAt = tonumber(redis.call('HGET', key, 'admittedAt') or '')
  if not admittedAt then return end
  local t = redis.call('TIME')
  local visit = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - admittedAt
  local average = tonumber(redis.call('HGET', room, field) or '')
  if average then visit = 0.8 * average + 0.2 * visit end
  redis.call('HSET', room, field, math.floor(visit))
end
