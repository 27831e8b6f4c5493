-- golfops rate limiter: sliding_log
--
-- Keeps the time of every admitted request of the last period in a sorted
-- set and admits a request only if fewer than the limit are there: exact
-- in any window of the period's length, at a memory cost of one entry per
-- admitted request (use it for small limits: logins, emails).
--
-- KEYS[1] bucket state (sorted set: member per request, score = time in us)
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
local now_us = tonumber(time[1]) * 1000000 + tonumber(time[2])
local now = math.floor(now_us / 1000)
local period_us = period * 1000
-- Lua prints numbers past 14 digits in exponent form: spell them out.
local function digits(number)
  return string.format('%.0f', number)
end

-- An entry counts while it is less than a period old.
local oldest_kept = '(' .. digits(now_us - period_us)
if cost > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', digits(now_us - period_us))
end
local used = redis.call('ZCOUNT', KEYS[1], oldest_kept, '+inf')

local need = math.max(cost, 1)
local exceeded = used + need > limit
if cost > 0 then
  if not exceeded then
    for i = 1, cost do
      -- Unique within a microsecond: the count only grows there.
      redis.call('ZADD', KEYS[1], digits(now_us), digits(now_us) .. ':' .. (used + i))
    end
    used = used + cost
    redis.call('PEXPIRE', KEYS[1], period)
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

-- When an entry ({member, score}) leaves the window, in ms from now.
local function leaves_in(entry)
  if #entry == 0 then
    return 0
  end
  return math.max(math.ceil((tonumber(entry[2]) + period_us - now_us) / 1000), 0)
end

local reset = 0
if used > 0 then
  -- The newest entry leaves last (read from the end: no walk over the set).
  reset = leaves_in(redis.call('ZRANGE', KEYS[1], '+inf', oldest_kept, 'BYSCORE', 'REV',
                               'LIMIT', 0, 1, 'WITHSCORES'))
end
local retry = 0
if exceeded then
  retry = reset
  if need <= limit then
    -- Enough of the oldest must leave: the one at this offset is the last.
    retry = leaves_in(redis.call('ZRANGE', KEYS[1], oldest_kept, '+inf', 'BYSCORE', 'LIMIT',
                                 used + need - limit - 1, 1, 'WITHSCORES'))
  end
end
-- A cost above what the bucket holds can never pass: -1, not a wait.
if math.max(cost, 1) > limit then
  retry = -1
end
return {(exceeded and not shadow) and 0 or 1, limit, math.max(limit - used, 0),
        math.ceil(reset / 1000), retry < 0 and -1 or math.ceil(retry / 1000), reset, retry,
        exceeded and 1 or 0, now}
