-- keys: 1
-- Deletes the render lock KEYS[1] only if it still holds our token ARGV[1]: a render that outlived
-- its lock must not release the lock another replica has taken since.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
