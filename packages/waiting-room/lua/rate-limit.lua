-- keys: 1
-- One fixed-window counter: counts a hit and returns {hits in this window, ms until it ends}.
-- ARGV: window (ms)
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('PTTL', KEYS[1])}
