-- A show is listed "few left" once a tenth of what it had to sell (at least one) or fewer is left:
-- the same rule as fewLeftAt in @premiere/runtime.
local function fewLeftAt(total)
  return math.max(1, math.floor(total / 10))
end
