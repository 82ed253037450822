-- keys: 10
-- A visitor gives up: their place (or their slot in the zone) is freed at once, and their token
-- goes back to the show's quota (lib/tokens.lua).
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: visitor. Returns {the state they left from ('' if unknown, or already out),
--                         the listing changed to ('' if not)}.
-- include: visit-ended.lua
-- include: listing.lua
-- include: tokens.lua
local room, queue, prequeue, inside, visitorPrefix, availability, addresses = KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[10]
local key = visitorPrefix .. ARGV[1]
local state = redis.call('HGET', key, 'state')
if not state or state == 'left' or state == 'expired' or state == 'gone' or state == 'done' then return {'', ''} end
if redis.call('ZREM', queue, ARGV[1]) == 1 then
  -- A gap in the line: counted out of the people ahead of everyone behind it.
  local place = redis.call('HGET', key, 'place')
  redis.call('ZADD', KEYS[9], place, place)
  local expireAt = redis.call('HGET', room, 'expireAt')
  if expireAt then redis.call('PEXPIREAT', KEYS[9], expireAt) end
end
redis.call('ZREM', prequeue, ARGV[1])
if redis.call('ZREM', inside, ARGV[1]) == 1 then
  -- Until one of the line's visits has ended with an order, those who only looked and left say
  -- nothing of what a buyer's visit takes: the line goes on from the assumed visit.
  if redis.call('HEXISTS', room, 'orderVisitMs') == 1 then visitEnded(room, key) end
  visitEnded(room, key, 'leftVisitMs')
end
redis.call('HSET', key, 'state', 'left')
local listing = ''
if giveBack(room, addresses, key) == 1 then listing = relist(room, availability) end
return {state, listing}
