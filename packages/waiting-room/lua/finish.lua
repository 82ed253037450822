-- keys: 10
-- A visitor's visit to the zone is over: their slot is free. With an order confirmed ('seats')
-- their token became seats; otherwise (their hold given up or run out: 'none') it goes back to
-- the show's quota (lib/tokens.lua). Safe to repeat, and in any order with the visitor's other
-- ends: a token comes back at most once, and never once it became seats.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: visitor, 'seats' | 'none'.
-- Returns {1 if a slot was freed (0: they were not inside, e.g. a redelivery), the token: 1 given
--          back now, -1 taken back as seats now, 0 unchanged; the listing changed to ('' if not)}.
-- include: visit-ended.lua
-- include: listing.lua
-- include: tokens.lua
local room, inside, availability, addresses = KEYS[1], KEYS[5], KEYS[7], KEYS[10]
local key = KEYS[6] .. ARGV[1]
local freed = 0
if redis.call('ZREM', inside, ARGV[1]) == 1 then
  redis.call('HSET', key, 'state', 'done')
  visitEnded(room, key)
  -- A buyer's visit alone, for the deployment's memory (deployment-memory.ts): a new sale's first
  -- zone-full are buyers, not the people a sold-out zone lets in and out in moments.
  visitEnded(room, key, 'orderVisitMs')
  freed = 1
end
-- Only a visitor let into the zone can have had an order: one still in line (an event about
-- someone else's number) keeps their token.
local state = redis.call('HGET', key, 'state')
if not state or state == 'pre' or state == 'waiting' then return {freed, 0, ''} end
local token = 0
if ARGV[2] == 'seats' then token = -takeAsSeats(room, addresses, key) else token = giveBack(room, addresses, key) end
local listing = ''
if token ~= 0 then listing = relist(room, availability) end
return {freed, token, listing}
