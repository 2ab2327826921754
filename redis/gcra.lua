-- Recall rate limiter: GCRA for every policy of one request, in one call,
-- decided with Redis's own clock, all or nothing.
--
-- KEYS[i]  the TAT key of policy i (all keys share the principal's hash tag)
-- ARGV[2i-1]  emission interval T of policy i, in microseconds, times the
--             request's weight (n units cost n*T); negative to refund
-- ARGV[2i]    tolerance tau of policy i, in microseconds
--
-- A request is admitted when, for every policy, max(TAT, now) + T - now <= tau.
-- Then every TAT advances by T and each key expires when its TAT passes
-- (a refund that reaches now or earlier deletes it: that is rest).
-- When any policy refuses, nothing is written.
--
-- Returns {admitted (1 or 0), d_1, ..., d_n} where d_i = TAT_i - now in
-- microseconds after the decision (advanced if admitted, unchanged if not).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local tats = redis.call('MGET', unpack(KEYS))
local res = {1}
local new = {}
local ok = true
for i = 1, n do
  local tat = tonumber(tats[i])
  if not tat or tat < now then
    tat = now
  end
  local nt = tat + tonumber(ARGV[2 * i - 1])
  if nt - now > tonumber(ARGV[2 * i]) then
    ok = false
  end
  new[i] = nt
  res[i + 1] = tat - now
end
if not ok then
  res[1] = 0
  return res
end
for i = 1, n do
  local d = new[i] - now
  if d > 0 then
    redis.call('SET', KEYS[i], string.format('%.0f', new[i]), 'PX', string.format('%.0f', math.ceil(d / 1000)))
  else
    redis.call('DEL', KEYS[i])
    d = 0
  end
  res[i + 1] = d
end
return res
