-- keys: 10
-- An operator changes a room's live settings, in one step with the listing they change: a new
-- quota can put a sold-out show back on sale or take it off (lib/listing.lua). Only the settings
-- below may be changed here, and only in a room that exists: a room that expired meanwhile is not
-- left behind as a stub without its catalog facts or its expiry.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: field, value, … (an empty value removes the field: its default applies again)
-- Returns {'no_room'} or {'changed', listing changed to ('' if not)}.
-- include: listing.lua
local SETTINGS = {
  paused = true, draining = true, capacity = true, capacityFixed = true, capacityBase = true,
  overbooking = true, quota = true, addressCap = true,
}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'no_room'} end
for i = 1, #ARGV, 2 do
  if not SETTINGS[ARGV[i]] then return redis.error_reply('change-settings: "' .. tostring(ARGV[i]) .. '" is not a setting') end
end
local quotaChanged = false
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i]) else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
  if ARGV[i] == 'quota' then quotaChanged = true end
end
local listing = ''
if quotaChanged then listing = relist(KEYS[1], KEYS[7]) end
return {'changed', listing}
