-- keys: 8
-- A visitor gives up: their place (or their slot in the zone) is freed at once.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions
-- ARGV: visitor. Returns the state they left from ('' if unknown, or already gone).
local queue, prequeue, inside, visitorPrefix = KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local key = visitorPrefix .. ARGV[1]
local state = redis.call('HGET', key, 'state')
if not state or state == 'left' or state == 'expired' or state == 'done' then return '' end
redis.call('ZREM', queue, ARGV[1])
redis.call('ZREM', prequeue, ARGV[1])
redis.call('ZREM', inside, ARGV[1])
redis.call('HSET', key, 'state', 'left')
return state
