-- golfops rate limiter: fixed_window
--
-- Counts requests in windows that start at multiples of the period since
-- the Unix epoch (like a clock), one counter per bucket. Cheapest of the
-- four; a client may get up to twice the limit across a window boundary.
--
-- KEYS[1] bucket state (hash: w = window number, n = count)
-- KEYS[2] bucket stats (hash: c:<hour> checks, d:<hour> over the limit)
-- KEYS[3] bucket violations (stream, capped)
--   All three share one hash tag, so the script runs on Redis Cluster:
--   <prefix><rule>:{<scope>:<value>}, then the same with :s and :v.
-- ARGV[1] limit   ARGV[2] period in ms   ARGV[3] cost (0: look, change nothing)
-- ARGV[4] shadow (1: count and report, never deny)   ARGV[5] burst (unused)
--
-- Returns {allowed, limit, remaining, reset_s, retry_after_s, reset_ms,
--          retry_after_ms, exceeded, now_ms}: reset is when the bucket is
-- full again, retry_after when a denied request would pass (0 if allowed; -1: never, the cost is over the limit),
-- exceeded is 1 when over the limit (a shadow rule still allows), now_ms
-- is the Redis server's clock (scripts never trust a client's).
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local shadow = ARGV[4] == '1'
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local window = math.floor(now / period)
local reset = (window + 1) * period - now
local state = redis.call('HMGET', KEYS[1], 'w', 'n')
local used = 0
if tonumber(state[1]) == window then
  used = tonumber(state[2]) or 0
end

local exceeded = used + math.max(cost, 1) > limit
if cost > 0 then
  if not exceeded then
    used = used + cost
    redis.call('HSET', KEYS[1], 'w', window, 'n', used)
    redis.call('PEXPIRE', KEYS[1], reset)
  end
  local hour = math.floor(now / 3600000)
  redis.call('HINCRBY', KEYS[2], 'c:' .. hour, 1)
  if exceeded then
    redis.call('HINCRBY', KEYS[2], 'd:' .. hour, 1)
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', 100, '*', 'limit', limit, 'used', used,
               'shadow', shadow and 1 or 0)
    redis.call('PEXPIRE', KEYS[3], 691200000)
  end
  -- Hours older than 8 days leave once the hash holds more than 8 days'
  -- worth of fields, so a busy bucket's stats stay bounded.
  if redis.call('HLEN', KEYS[2]) > 400 then
    local fields = redis.call('HKEYS', KEYS[2])
    for _, field in ipairs(fields) do
      if tonumber(string.sub(field, 3)) <= hour - 192 then
        redis.call('HDEL', KEYS[2], field)
      end
    end
  end
  redis.call('PEXPIRE', KEYS[2], 691200000)
end

local retry = 0
if exceeded then
  retry = reset
end
if used == 0 then
  reset = 0
end
-- A cost above what the bucket holds can never pass: -1, not a wait.
if math.max(cost, 1) > limit then
  retry = -1
end
return {(exceeded and not shadow) and 0 or 1, limit, math.max(limit - used, 0),
        math.ceil(reset / 1000), retry < 0 and -1 or math.ceil(retry / 1000), reset, retry,
        exceeded and 1 or 0, now}
