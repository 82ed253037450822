-- keys: 9
-- Seats came back (a hold lapsed or was given up) after every token had been issued, and nobody is
-- waiting who could take them: as many more tokens as seats came back, so they are sold again,
-- and the show's listing set to what that leaves. With people waiting, they get the seats instead.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes
-- Returns {tokens added, listing} ({0} when nothing changes)
-- include: listing.lua
local room, queue, prequeue, availability = KEYS[1], KEYS[3], KEYS[4], KEYS[7]
local r = redis.call('HMGET', room, 'quota', 'issued', 'seatsFree', 'draining', 'seatsSoldOut')
if not r[1] or r[4] == '1' or r[5] == '1' then return {0} end
local quota, issued, free = tonumber(r[1]), tonumber(r[2] or '0'), tonumber(r[3] or '0')
if issued < quota or free <= 0 then return {0} end
if redis.call('ZCARD', queue) > 0 or redis.call('ZCARD', prequeue) > 0 then return {0} end
quota = issued + free
redis.call('HSET', room, 'quota', quota)
local listing = 'available'
if free <= fewLeftAt(quota) then listing = 'few_left' end
redis.call('SET', availability, listing, 'KEEPTTL')
return {free, listing}
