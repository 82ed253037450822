-- keys: 9
-- A visitor gives up: their place (or their slot in the zone) is freed at once.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes
-- ARGV: visitor. Returns the state they left from ('' if unknown, or already gone).
-- include: visit-ended.lua
local queue, prequeue, inside, visitorPrefix = KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local key = visitorPrefix .. ARGV[1]
local state = redis.call('HGET', key, 'state')
if not state or state == 'left' or state == 'expired' or state == 'done' then return '' end
if redis.call('ZREM', queue, ARGV[1]) == 1 then
  -- A gap in the line: counted out of the people ahead of everyone behind it.
  local place = redis.call('HGET', key, 'place')
  redis.call('ZADD', KEYS[9], place, place)
  local expireAt = redis.call('HGET', KEYS[1], 'expireAt')
  if expireAt then redis.call('PEXPIREAT', KEYS[9], expireAt) end
end
redis.call('ZREM', prequeue, ARGV[1])
if redis.call('ZREM', inside, ARGV[1]) == 1 then visitEnded(KEYS[1], key) end
redis.call('HSET', key, 'state', 'left')
return state
