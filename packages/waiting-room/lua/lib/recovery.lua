-- A room rebuilt after Redis forgot it (restore-room.lua) counts every token of its durable
-- ledger as live until their holders come back (reinstate.lua) and holds admissions meanwhile, so
-- that nobody is let in ahead of someone with a lower place who has not polled yet. Once the grace
-- is over, the tokens nobody came back for go back to the quota, and the places they left are
-- gaps in the line (snapshot.ts counts the people ahead from the gaps). Returns the tokens given
-- back now (0 while recovering, or when there was nothing to end).
local function endRecovery(room, queue, holes, now)
  local r = redis.call('HMGET', room, 'recoverUntil', 'unclaimed', 'expireAt')
  if not r[1] or now < tonumber(r[1]) then return 0 end
  local unclaimed = tonumber(r[2] or '0')
  redis.call('HDEL', room, 'recoverUntil', 'unclaimed')
  -- lateClaims: those given back unclaimed, which a holder coming back late takes again (reinstate.lua).
  if unclaimed > 0 then
    redis.call('HINCRBY', room, 'returned', unclaimed)
    redis.call('HINCRBY', room, 'lateClaims', unclaimed)
  end
  local line = redis.call('ZRANGE', queue, 0, -1, 'WITHSCORES')
  if #line > 0 then
    local present = {}
    for i = 2, #line, 2 do present[tonumber(line[i])] = true end
    for place = tonumber(line[2]) + 1, tonumber(line[#line]) - 1 do
      if not present[place] then redis.call('ZADD', holes, place, place) end
    end
    if r[3] then redis.call('PEXPIREAT', holes, r[3]) end
  end
  return unclaimed
end

-- Whether the room is still waiting for its visitors to come back after a rebuild.
local function recovering(room, now)
  local untilMs = redis.call('HGET', room, 'recoverUntil')
  return untilMs ~= false and now < tonumber(untilMs)
end
