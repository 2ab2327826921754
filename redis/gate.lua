
-- The gate: one request's token check, rate-limit decision and reads, in
-- one call. It follows the function gcra of gcra.lua.
--
-- KEYS[1]        the token's key under the user it claims, token:{<user>}:<hash>
-- KEYS[2..n+1]   the TAT keys of the route's n policies, rl:user:{<user>}:<policy>
-- KEYS[n+2..]    the keys the request will read
-- ARGV[1]        n
-- ARGV[2]        the token's SHA-256 hash (raw bytes)
-- ARGV[3]        the user id the token claims
-- ARGV[4], [5]   now, the server's clock (the one authentication uses):
--                Unix seconds, nanoseconds
-- ARGV[6]        the marker field of a complete hash
-- ARGV[7..6+2n]  T and tau of each policy, as in gcra.lua
-- ARGV[7+2n..]   for each key to read: 'h' (a hash, read whole if complete),
--                's' (a string) or 'v' (a versioned state of session.go: its
--                encoded value, its idle time restarted as the state
--                store's get does, a miss once past its absolute expiry)
--
-- The token counts only if its key holds a token (cache codec version 1:
-- hash, user id, created, expires) with this hash, of this user, not
-- expired. Otherwise the gate returns {0}: it has charged nobody and read
-- nothing, and the server takes its usual path (which refuses a forged or
-- revoked token before any decision). Else it returns
-- {1, admitted, d_1, ..., d_n, v_1, ...}: the decision as gcra.lua returns
-- it, then each key's value (a string, the fields and values of a hash, or
-- nil for a miss).

-- uvarint reads an unsigned varint of s at i; returns it and the next index.
local function uvarint(s, i)
  local x, m = 0, 1
  for j = i, i + 9 do
    local b = string.byte(s, j)
    if not b then return nil, j end
    if b < 128 then return x + b * m, j + 1 end
    x = x + (b - 128) * m
    m = m * 128
  end
  return nil, i
end

-- varint reads a zig-zag signed varint.
local function varint(s, i)
  local u
  u, i = uvarint(s, i)
  if not u then return nil, i end
  if u % 2 == 0 then return u / 2, i end
  return -(u + 1) / 2, i
end

-- str reads a length-prefixed string.
local function str(s, i)
  local n
  n, i = uvarint(s, i)
  if not n then return nil, i end
  return string.sub(s, i, i + n - 1), i + n
end

local function valid(v)
  if string.byte(v, 1) ~= 1 then return false end
  local h, u, sec, ns, i
  h, i = str(v, 2)
  if h ~= ARGV[2] then return false end
  u, i = str(v, i)
  if u ~= ARGV[3] then return false end
  sec, i = varint(v, i)
  ns, i = uvarint(v, i)
  sec, i = varint(v, i)
  ns, i = uvarint(v, i)
  if not sec or not ns then return false end
  local now = tonumber(ARGV[4])
  return sec > now or (sec == now and ns > tonumber(ARGV[5]))
end

local tok = redis.call('GET', KEYS[1])
if not tok or not valid(tok) then return {0} end
local n = tonumber(ARGV[1])
local t = redis.call('TIME')
local res = {1}
gcra(tonumber(t[1]) * 1000000 + tonumber(t[2]), KEYS, 1, ARGV, 6, n, res, 2)
local nowms = tonumber(ARGV[4]) * 1000 + math.floor(tonumber(ARGV[5]) / 1000000)
for i = n + 2, #KEYS do
  local v = false
  local kind = ARGV[5 + n + i]
  if kind == 'h' then
    if redis.call('HEXISTS', KEYS[i], ARGV[6]) == 1 then
      v = redis.call('HGETALL', KEYS[i])
    end
  elseif kind == 'v' then
    local r = redis.call('HMGET', KEYS[i], 'd', 'x', 'i')
    if r[1] and r[2] and r[3] then
      local left = tonumber(r[2]) - nowms
      if left <= 0 then
        redis.call('DEL', KEYS[i])
      else
        redis.call('PEXPIRE', KEYS[i], string.format('%d', math.min(tonumber(r[3]), left)))
        v = r[1]
      end
    end
  else
    v = redis.call('GET', KEYS[i])
  end
  res[#res + 1] = v
end
return res
