-- keys: 10
-- Sales open: the pre-queue's visitors get places in the random order drawn when they joined, so
-- arriving at 11:59:59.9 is no better than at 11:58; later arrivals queue behind them.
-- Not while a rebuilt room waits for its visitors (lib/recovery.lua): those of the pre-queue who
-- are not back yet would miss the draw.
-- Returns how many got a place, or -1 if sales are not open yet (0: nothing to do).
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- include: recovery.lua
local room, queue, prequeue, visitorPrefix = KEYS[1], KEYS[3], KEYS[4], KEYS[6]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local r = redis.call('HMGET', room, 'opensAt', 'opened')
local opensAt = tonumber(r[1] or '0')
if opensAt == 0 or r[2] == '1' then return 0 end
if now < opensAt or recovering(room, now) then return -1 end
local drawn = redis.call('ZRANGE', prequeue, 0, -1)
for _, visitor in ipairs(drawn) do
  local place = redis.call('HINCRBY', room, 'seq', 1)
  redis.call('ZADD', queue, place, visitor)
  redis.call('HSET', visitorPrefix .. visitor, 'place', place, 'state', 'waiting')
end
redis.call('DEL', prequeue)
local expireAt = redis.call('HGET', room, 'expireAt')
if expireAt and #drawn > 0 then redis.call('PEXPIREAT', queue, expireAt) end
redis.call('HSET', room, 'opened', 1)
return #drawn
