-- golfops rate limiter: gcra
--
-- The generic cell rate algorithm (as redis-cell and redis_rate): requests
-- are spaced one emission interval (period / limit) apart on average, and
-- up to `burst` may arrive at once (burst 0: the limit). One number per
-- bucket, the theoretical arrival time; the quota refills smoothly rather
-- than all at once at a window's end. Times are microseconds in a double:
-- rates up to 1,000,000 per second per bucket (golfops refuses more).
--
-- KEYS[1] bucket state (string: theoretical arrival time in us)
-- KEYS[2] bucket stats (hash: c:<hour> checks, d:<hour> over the limit)
-- KEYS[3] bucket violations (stream, capped)
--   All three share one hash tag, so the script runs on Redis Cluster:
--   <prefix><rule>:{<scope>:<value>}, then the same with :s and :v.
-- ARGV[1] limit   ARGV[2] period in ms   ARGV[3] cost (0: look, change nothing)
-- ARGV[4] shadow (1: count and report, never deny)
-- ARGV[5] burst (requests allowed at once; 0: the limit)
--
-- Returns {allowed, limit, remaining, reset_s, retry_after_s, reset_ms,
--          retry_after_ms, exceeded, now_ms}: limit is the burst (what
-- remaining counts down from), reset is when the bucket is full again,
-- retry_after when a denied request would pass (0 if allowed; -1: never, the cost is over the limit), exceeded is
-- 1 when over the limit (a shadow rule still allows), now_ms is the Redis
-- server's clock (scripts never trust a client's).
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local shadow = ARGV[4] == '1'
local burst = tonumber(ARGV[5])
if burst <= 0 then
  burst = limit
end
local time = redis.call('TIME')
local now_us = tonumber(time[1]) * 1000000 + tonumber(time[2])
local now = math.floor(now_us / 1000)

local interval = period * 1000 / limit
local tolerance = interval * burst
local tat = tonumber(redis.call('GET', KEYS[1])) or now_us
if tat < now_us then
  tat = now_us
end

local need = math.max(cost, 1)
local allow_at = tat + interval * need - tolerance
local exceeded = allow_at > now_us
if cost > 0 then
  if not exceeded then
    tat = tat + interval * cost
    -- %.17g keeps the fraction: spacing below a microsecond still moves it.
    redis.call('SET', KEYS[1], string.format('%.17g', tat), 'PX',
               math.max(math.ceil((tat - now_us) / 1000), 1))
  end
  local hour = math.floor(now / 3600000)
  redis.call('HINCRBY', KEYS[2], 'c:' .. hour, 1)
  if exceeded then
    redis.call('HINCRBY', KEYS[2], 'd:' .. hour, 1)
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', 100, '*', 'limit', burst,
               'used', math.ceil((tat - now_us) / interval), 'shadow', shadow and 1 or 0)
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

local remaining = math.floor((now_us + tolerance - tat) / interval)
local reset = math.ceil((tat - now_us) / 1000)
local retry = 0
if exceeded then
  retry = math.ceil((allow_at - now_us) / 1000)
end
-- A cost above what the bucket holds can never pass: -1, not a wait.
if math.max(cost, 1) > burst then
  retry = -1
end
return {(exceeded and not shadow) and 0 or 1, burst, math.max(math.min(remaining, burst), 0),
        math.ceil(reset / 1000), retry < 0 and -1 or math.ceil(retry / 1000), reset, retry,
        exceeded and 1 or 0, now}
