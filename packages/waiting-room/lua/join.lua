-- keys: 10
-- A session joins the show's waiting room; atomic, so the quota, the per-address cap and the order
-- of arrival hold however many join at once.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: session hash, pre-queue draw (a random number in (0, 1)), admission time to live (ms),
--       client address (as issue-token keys it: an IPv6 address by its /64), joins allowed per
--       address and per session in a window (0: no limit), the window (ms), the per-address
--       cap's least and its share of the quota (both 0: no cap; the room's `addressCap`, an
--       operator's, wins), new tokens allowed per address in a window (0: no limit), a waiting
--       visitor is gone after this long unseen (ms), '1' if this join is run again after
--       must_open or must_reserve (its rate limits were counted the first time)
-- Returns {outcome, visitor, place, state, listing changed to ('' if not), people ahead, visitMs,
-- capacity, joined at, show starts at, sales open at (0: open), seats free (else the show's seats),
-- seats per order, visitor numbers left below the ceiling}; outcome: new | existing |
-- no_room | drained | started | must_open (sales opened: run open-sales first) |
-- must_reserve (no visitor number left below the room's ceiling: reserve more in the token ledger
-- and raise it, then join again);
-- or {'recovering', ms until the room's grace ends}: the room was rebuilt and its live tokens may
-- fill the quota, which is known once their holders come back (lib/recovery.lua);
-- or {'sold_out', reclaimable};
-- or {'rate_limited', 'address' | 'session' | 'address_new_tokens', ms until the window ends, the limit}
-- or {'rate_limited', 'address_tokens', -1, the cap, reclaimable}.
-- reclaimable: what the bouncer's next pass (admit.lua) would give back, so that the refused
-- joiner's function sends it looking: 'lapsed' (a zone slot's lease ran out), 'gone' (the head of
-- the line unseen too long while the zone has room), else ''.
-- include: listing.lua
-- include: recovery.lua
local room, sessions, queue, prequeue, inside, visitorPrefix, availability, addresses = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[10]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- The bouncer runs on events and on waiting visitors' polls; when every holder of a show's tokens
-- went quiet, nothing runs it but the sweep, and the show stays sold out until then. A few reads
-- of the zone's and the line's heads, in the refusal's own round trip. (Gone visitors deeper in
-- the line keep their tokens until they reach the head.)
local function reclaimable(paused, capacity)
  if #redis.call('ZRANGEBYSCORE', inside, '-inf', now, 'LIMIT', 0, 1) > 0 then return 'lapsed' end
  if paused == '1' or redis.call('ZCARD', inside) >= capacity then return '' end
  local head = redis.call('ZRANGE', queue, 0, 0)
  if #head == 0 then return '' end
  if now - tonumber(redis.call('HGET', visitorPrefix .. head[1], 'lastSeen') or '0') > tonumber(ARGV[11]) then return 'gone' end
  return ''
end

if redis.call('EXISTS', room) == 0 then return {'no_room'} end
endRecovery(room, KEYS[3], KEYS[9], now)

-- Rate limits first (fixed windows, per show: the counters live on the show's slot). A refused
-- join changes nothing but the counters.
local limits = {{'address', ARGV[4], tonumber(ARGV[5])}, {'session', ARGV[1], tonumber(ARGV[6])}}
for _, l in ipairs(limits) do
  -- A join run again (after must_open or must_reserve) was counted the first time.
  if l[3] > 0 and ARGV[12] ~= '1' then
    local counter = room .. ':rate:' .. l[1] .. ':' .. l[2]
    local hits = redis.call('INCR', counter)
    if hits == 1 then redis.call('PEXPIRE', counter, ARGV[7]) end
    if hits > l[3] then return {'rate_limited', l[1], redis.call('PTTL', counter), l[3]} end
  end
end

local known = redis.call('HGET', sessions, ARGV[1])
if known then
  local v = redis.call('HMGET', visitorPrefix .. known, 'place', 'state', 'joinedAt')
  -- Left, gone, expired or done (a visit is one visit; to buy more, one queues again): joining
  -- again is a new token at the back of the line.
  if v[2] and v[2] ~= 'left' and v[2] ~= 'expired' and v[2] ~= 'gone' and v[2] ~= 'done' then
    return {'existing', known, v[1] or '', v[2], '', 0, '0', '0', v[3], redis.call('HGET', room, 'startsAt')}
  end
end

local r = redis.call('HMGET', room, 'quota', 'issued', 'draining', 'opensAt', 'opened', 'capacity', 'paused', 'startsAt', 'expireAt', 'visitMs', 'seatsFree', 'seatsPerOrder', 'seats', 'returned', 'seatsSoldOut', 'addressCap', 'recoverUntil', 'ceiling')
local quota, issued = tonumber(r[1]), tonumber(r[2] or '0')
local opensAt, capacity = tonumber(r[4] or '0'), tonumber(r[6])
if now >= tonumber(r[8]) then return {'started'} end
if r[3] == '1' then return {'drained'} end
-- Sold out: no token can still become a seat. Every seat is sold (tokens coming back would not
-- reopen it), or the live tokens (those given back do not count) fill the quota.
if r[15] == '1' then return {'sold_out', ''} end
if issued - tonumber(r[14] or '0') >= quota then
  if r[17] then return {'recovering', tonumber(r[17]) - now} end
  return {'sold_out', reclaimable(r[7], capacity)}
end
if opensAt > 0 and r[5] ~= '1' and now >= opensAt and not r[17] then return {'must_open'} end

-- One address holds at most its share of the live tokens, and takes new ones at most so fast:
-- checked before anything changes, counted only when a token is issued.
local address = ARGV[4]
local cap = tonumber(r[16] or '')
if not cap then
  local least, share = tonumber(ARGV[8]), tonumber(ARGV[9])
  cap = 0
  if least > 0 or share > 0 then cap = math.max(1, least, math.floor(share * quota + 1e-9)) end
end
if cap > 0 and tonumber(redis.call('HGET', addresses, address) or '0') >= cap then
  return {'rate_limited', 'address_tokens', -1, cap, reclaimable(r[7], capacity)}
end
local newTokens, newCounter = tonumber(ARGV[10]), room .. ':rate:new:' .. address
if newTokens > 0 and tonumber(redis.call('GET', newCounter) or '0') >= newTokens then
  return {'rate_limited', 'address_new_tokens', redis.call('PTTL', newCounter), newTokens}
end

-- A new token's number must be reserved in the durable ledger first (ledger.ts).
if issued >= tonumber(r[18] or '0') then return {'must_reserve', issued} end
local visitor = redis.call('HINCRBY', room, 'issued', 1)
redis.call('HSET', sessions, ARGV[1], visitor)
redis.call('PEXPIREAT', sessions, tonumber(r[9]))
if newTokens > 0 and redis.call('INCR', newCounter) == 1 then redis.call('PEXPIRE', newCounter, ARGV[7]) end
redis.call('HINCRBY', addresses, address, 1)
redis.call('PEXPIREAT', addresses, tonumber(r[9]))
local key = visitorPrefix .. visitor
local place, state = '', 'waiting'
if opensAt > 0 and r[5] ~= '1' then
  state = 'pre'
  -- Sales opened while a rebuilt room recovers (the draw waits for its pre-queue to come back): a
  -- latecomer is drawn after everyone who came before the opening (draws are below 1), in arrival order.
  local draw = ARGV[2]
  if now >= opensAt then draw = 1 + now / 1e13 end
  redis.call('ZADD', prequeue, draw, visitor)
  redis.call('PEXPIREAT', prequeue, tonumber(r[9]))
else
  place = redis.call('HINCRBY', room, 'seq', 1)
  -- Nobody waiting and room in the zone: in at once, no visible queue on a quiet day (not while a
  -- rebuilt room waits for its visitors: the line may not be empty, only not back yet).
  if r[7] ~= '1' and not r[17] and redis.call('ZCARD', queue) == 0 and redis.call('ZCARD', inside) < capacity then
    state = 'admitted'
    local deadline = now + tonumber(ARGV[3])
    redis.call('ZADD', inside, deadline, visitor)
    redis.call('PEXPIREAT', inside, tonumber(r[9]))
    redis.call('HSET', key, 'admittedAt', now, 'deadline', deadline)
    redis.call('HINCRBY', room, 'admitted', 1)
    redis.call('HINCRBY', KEYS[8], math.floor(now / 60000), 1)
    redis.call('PEXPIRE', KEYS[8], 3600000)
  else
    redis.call('ZADD', queue, place, visitor)
    redis.call('PEXPIREAT', queue, tonumber(r[9]))
  end
end
redis.call('HSET', key, 'session', ARGV[1], 'address', address, 'place', place, 'state', state, 'joinedAt', now, 'lastSeen', now)
redis.call('PEXPIREAT', key, tonumber(r[9]))

-- The listing changes when the tokens run low or out; exactly one join sees each crossing.
local crossed = relist(room, availability)
local ahead = 0
if state == 'waiting' then ahead = redis.call('ZCARD', queue) - 1 end
if state == 'pre' then ahead = redis.call('ZCARD', prequeue) - 1 end
return {'new', tostring(visitor), tostring(place), state, crossed, ahead, r[10] or '', tostring(capacity), tostring(now), r[8], tostring(opensAt), r[11] or r[13], r[12] or '',
  tonumber(r[18] or '0') - visitor}
