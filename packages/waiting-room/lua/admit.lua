-- keys: 10
-- The bouncer's one move: reclaim the zone's slots whose lease ran out, then admit visitors from
-- the head of the line, in order, until the zone is full. Atomic: several bouncers at once never
-- over-admit and never skip anyone. Visitors who stopped polling are passed over as gone. The
-- tokens of the reclaimed and the passed over go back to the show's quota (lib/tokens.lua).
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: admission time to live (ms), a waiting visitor is gone after this long unseen (ms)
-- Nobody is admitted while a rebuilt room waits for its visitors to come back (lib/recovery.lua).
-- Returns {-1} if the room does not exist, else {admitted, first place, last place, reclaimed, passed over, inside, waiting,
--          earliest reclaimed lease (ms, '' if none), now, tokens given back of the reclaimed,
--          of the passed over, the listing changed to ('' if not), tokens nobody came back for
--          after a rebuild, given back now, {visitor, session hash, reason, …} of the tokens given
--          back one by one (lapsed, passed_over)}
-- include: listing.lua
-- include: tokens.lua
-- include: recovery.lua
local room, queue, inside, visitorPrefix, availability, admissions, addresses = KEYS[1], KEYS[3], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[10]
local ttl, goneAfter = tonumber(ARGV[1]), tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local recoveredBack = endRecovery(KEYS[1], KEYS[3], KEYS[9], now)

local expired = redis.call('ZRANGEBYSCORE', inside, '-inf', now, 'WITHSCORES')
local earliestLease = ''
local lapsedBack, passedBack = 0, 0
-- The tokens given back here, {visitor, session, reason, …}: the caller records them durably
-- (ledger.ts), so that a room rebuilt after Redis forgot it does not put their holders back.
local given = {}
local function record(visitor, key, reason)
  given[#given + 1] = visitor
  given[#given + 1] = redis.call('HGET', key, 'session') or ''
  given[#given + 1] = reason
end
for i = 1, #expired, 2 do
  local key = visitorPrefix .. expired[i]
  -- admitted and never came: the admission expired unused; inside: left without a goodbye.
  if redis.call('HGET', key, 'state') == 'admitted' then
    redis.call('HSET', key, 'state', 'expired')
  else
    redis.call('HSET', key, 'state', 'gone')
  end
  if giveBack(room, addresses, key) == 1 then
    lapsedBack = lapsedBack + 1
    record(expired[i], key, 'lapsed')
  end
  if earliestLease == '' then earliestLease = expired[i + 1] end
end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', inside, '-inf', now) end
local reclaimed = #expired / 2

local r = redis.call('HMGET', room, 'capacity', 'paused', 'opensAt', 'opened', 'expireAt')
local admitted, passed, first, last = 0, 0, '', ''
local salesOpen = tonumber(r[3] or '0') == 0 or r[4] == '1'
if r[2] ~= '1' and salesOpen and not recovering(room, now) then
  local free = tonumber(r[1]) - redis.call('ZCARD', inside)
  while free > 0 do
    local head = redis.call('ZPOPMIN', queue)
    if #head == 0 then break end
    local visitor, place = head[1], head[2]
    local key = visitorPrefix .. visitor
    if now - tonumber(redis.call('HGET', key, 'lastSeen') or '0') > goneAfter then
      redis.call('HSET', key, 'state', 'left')
      if giveBack(room, addresses, key) == 1 then
        passedBack = passedBack + 1
        record(visitor, key, 'passed_over')
      end
      passed = passed + 1
    else
      redis.call('HSET', key, 'state', 'admitted', 'admittedAt', now, 'deadline', now + ttl)
      redis.call('ZADD', inside, now + ttl, visitor)
      if first == '' then first = place end
      last = place
      admitted = admitted + 1
      free = free - 1
    end
  end
end

local waiting = redis.call('ZCARD', queue)
-- Gaps before the new head of the line no longer count for anyone.
local head = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
if #head == 0 then redis.call('DEL', KEYS[9]) else redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', '(' .. head[2]) end
if admitted > 0 then
  if r[5] then redis.call('PEXPIREAT', inside, r[5]) end
  redis.call('HINCRBY', room, 'admitted', admitted)
  local minute = math.floor(now / 60000)
  redis.call('HINCRBY', admissions, minute, admitted)
  redis.call('PEXPIRE', admissions, 3600000)
end
local listing = ''
if lapsedBack + passedBack + recoveredBack > 0 then listing = relist(room, availability) end
return {admitted, first, last, reclaimed, passed, redis.call('ZCARD', inside), waiting, earliestLease, now, lapsedBack, passedBack, listing, recoveredBack, given}
