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
--
-- The decision is the function gcra, which the gate script (gate.lua, the
-- token check and the reads of a request with its decision) runs too: it
-- decides the n policies whose keys follow keys[k0] and whose parameters
-- follow args[a0], and writes admitted to res[r0], d_i to res[r0 + i].
local function gcra(now, keys, k0, args, a0, n, res, r0)
  local tats = redis.call('MGET', unpack(keys, k0 + 1, k0 + n))
  local new = {}
  local ok = true
  for i = 1, n do
    local tat = tonumber(tats[i])
    if not tat or tat < now then
      tat = now
    end
    local nt = tat + tonumber(args[a0 + 2 * i - 1])
    if nt - now > tonumber(args[a0 + 2 * i]) then
      ok = false
    end
    new[i] = nt
    res[r0 + i] = tat - now
  end
  if not ok then
    res[r0] = 0
    return
  end
  res[r0] = 1
  for i = 1, n do
    local d = new[i] - now
    if d > 0 then
      redis.call('SET', keys[k0 + i], string.format('%.0f', new[i]), 'PX', string.format('%.0f', math.ceil(d / 1000)))
    else
      redis.call('DEL', keys[k0 + i])
      d = 0
    end
    res[r0 + i] = d
  end
end
-- main
local t = redis.call('TIME')
local res = {}
gcra(tonumber(t[1]) * 1000000 + tonumber(t[2]), KEYS, 0, ARGV, 0, #KEYS, res, 1)
return res
