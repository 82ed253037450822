-- keys: 9
-- A visitor in the zone is done (order confirmed, hold released or expired): their slot is free.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes
-- ARGV: visitor. Returns 1 if a slot was freed, 0 if they were not inside (a redelivery).
-- include: visit-ended.lua
if redis.call('ZREM', KEYS[5], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[6] .. ARGV[1], 'state', 'done')
visitEnded(KEYS[1], KEYS[6] .. ARGV[1])
return 1
