-- keys: 1
-- A visit to a show's zone ended: its length goes into the deployment's memory of visits, a moving
-- average over every show's (as the room's own `visitMs` is over the show's), so that a new show's
-- line starts from what visits take here, not from ESTIMATE_VISIT_SECONDS.
-- KEYS: the memory (hash: visitMs, visits: how many it has seen)
-- ARGV: the visit's length (ms). Returns the average now (ms).
local visit = tonumber(ARGV[1])
local average = tonumber(redis.call('HGET', KEYS[1], 'visitMs') or '')
if average then visit = 0.8 * average + 0.2 * visit end
redis.call('HSET', KEYS[1], 'visitMs', math.floor(visit))
redis.call('HINCRBY', KEYS[1], 'visits', 1)
return math.floor(visit)
