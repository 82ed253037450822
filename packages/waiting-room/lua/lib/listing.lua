-- A show is listed "few left" once a tenth of what it had to sell (at least one) or fewer is left:
-- the same rule as fewLeftAt in @premiere/contracts.
local function fewLeftAt(total)
  return math.max(1, math.floor(total / 10))
end

-- What the catalog lists for the show's tokens, from the room as it is now: sold out when no
-- token can still become a seat (the live tokens, issued less given back, fill the quota, or
-- every seat is sold), few left near that, else available. While a rebuilt room waits for its
-- visitors to come back (lib/recovery.lua), the tokens not yet claimed are not taken as live here:
-- not knowing is no reason to list a show sold out. Written only when it changes, so
-- exactly one script sees each change: returns the new listing for its caller to announce
-- (premiere.show.availability.changed), or '' when unchanged.
local function relist(room, availability)
  local r = redis.call('HMGET', room, 'quota', 'issued', 'returned', 'seatsSoldOut', 'expireAt', 'unclaimed')
  local quota = tonumber(r[1])
  if not quota then return '' end
  local left = quota - (tonumber(r[2] or '0') - tonumber(r[3] or '0') - tonumber(r[6] or '0'))
  local listing = 'available'
  if left <= 0 or r[4] == '1' then
    listing = 'sold_out'
  elseif left <= fewLeftAt(quota) then
    listing = 'few_left'
  end
  if (redis.call('GET', availability) or 'available') == listing then return '' end
  if r[5] then redis.call('SET', availability, listing, 'PXAT', r[5]) else redis.call('SET', availability, listing) end
  return listing
end
