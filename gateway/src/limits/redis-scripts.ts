import type { Redis } from 'ioredis';

/**
 * The Lua scripts, each one atomic round trip, registered with ioredis `defineCommand`
 * (EVALSHA with a transparent EVAL fallback on NOSCRIPT, e.g. after a Redis restart).
 * Clocks are Redis `TIME`, so replicas' clocks never matter. Integers leave Lua through
 * `int()` (string.format('%d')), never through Lua's number-to-string, which may use exponents.
 */

/**
 * GCRA for one or several policies at once, all or nothing; per key the step mirrors
 * `gcraStep` in gcra.ts line by line.
 * KEYS[i] state; ARGV 4 per key (w, l, q, r). Returns {allAllowed, allowed1, d1, f1, ...}:
 * for each key its own verdict and, when everything was allowed, its new state, else its
 * unchanged state.
 */
const GCRA_HIT_ALL = `
local function int(n) return string.format('%d', n) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local steps, all = {}, 1
for i = 1, #KEYS do
  local w, l, q, r = tonumber(ARGV[i*4-3]), tonumber(ARGV[i*4-2]), tonumber(ARGV[i*4-1]), tonumber(ARGV[i*4])
  local tat, frac = now, 0
  local stored = redis.call('GET', KEYS[i])
  if stored then
    local st, sf = string.match(stored, '^(%d+):(%d+)$')
    if st and tonumber(st) >= now then
      tat = tonumber(st)
      frac = math.min(tonumber(sf), l - 1)
    end
  end
  local nt, nf = tat + q, frac + r
  if nf >= l then
    nt = nt + 1
    nf = nf - l
  end
  local d = nt - now
  local ok = d < w or (d == w and nf == 0)
  if not ok then all = 0 end
  steps[i] = {ok, nt, nf, d, tat - now, frac}
end
local out = {all}
for i = 1, #KEYS do
  local s = steps[i]
  if all == 1 then
    redis.call('SET', KEYS[i], int(s[2]) .. ':' .. int(s[3]), 'PX', int(math.floor(s[4] / 1000) + 1))
    table.insert(out, 1) table.insert(out, s[4]) table.insert(out, s[3])
  else
    -- Nothing is charged: each key reports its own verdict on its unchanged state.
    table.insert(out, s[1] and 1 or 0) table.insert(out, s[5]) table.insert(out, s[6])
  end
end
return out
`;

/** Frees a lease only if it still carries our token. KEYS[1]; ARGV token. */
const LEASE_RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * Budget reservation. KEYS[1] hash {used, reserved, r:<id> = amount}, KEYS[2] zset of ids
 * scored by expiry (ms, Redis time). ARGV limit, amount, id, reservationTtlMs, keyTtlMs.
 * Expired reservations (their process died) are returned first. Returns {allowed, used, reserved}.
 */
const BUDGET_RESERVE = `
local function int(n) return string.format('%d', n) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if #expired > 0 then
  for _, id in ipairs(expired) do
    local a = redis.call('HGET', KEYS[1], 'r:' .. id)
    if a then
      redis.call('HDEL', KEYS[1], 'r:' .. id)
      redis.call('HINCRBY', KEYS[1], 'reserved', int(-tonumber(a)))
    end
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
end
local v = redis.call('HMGET', KEYS[1], 'used', 'reserved')
local used, reserved = tonumber(v[1]) or 0, tonumber(v[2]) or 0
local limit, amount = tonumber(ARGV[1]), tonumber(ARGV[2])
if used + reserved + amount > limit then
  return {0, used, reserved}
end
redis.call('HSET', KEYS[1], 'r:' .. ARGV[3], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[2])
redis.call('ZADD', KEYS[2], int(now + tonumber(ARGV[4])), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {1, used, reserved + amount}
`;

/**
 * Settles (actual > 0) or releases (actual = 0) a reservation. KEYS as for reserve; ARGV id,
 * actual, keyTtlMs. Actual usage is counted even if the reservation already expired: it was
 * real. Returns 1 if the reservation was still held.
 */
const BUDGET_SETTLE = `
local a = redis.call('HGET', KEYS[1], 'r:' .. ARGV[1])
if a then
  redis.call('HDEL', KEYS[1], 'r:' .. ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'reserved', string.format('%d', -tonumber(a)))
  redis.call('ZREM', KEYS[2], ARGV[1])
end
if ARGV[2] ~= '0' then
  redis.call('HINCRBY', KEYS[1], 'used', ARGV[2])
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
if a then return 1 end
return 0
`;

/**
 * A chat turn's admission in one step (see admission.ts for the same logic, step by step).
 * KEYS[1] kill switch hash, KEYS[2] lease, then (hash, zset) per budget.
 * ARGV token, leaseTtlMs (0: no slot taken), reservationTtlMs, keyTtlMs, then (limit, amount, id) per budget.
 * Returns {1, used1, reserved1, ...} | {0, 'kill', k1, v1, ...} | {0, 'lease'} | {0, 'budget', i, used, reserved}.
 */
const ADMIT = `
local function int(n) return string.format('%d', n) end
local enabled = redis.call('HGET', KEYS[1], 'enabled')
if enabled and (enabled == '1' or string.lower(enabled) == 'true') then
  local out = {0, 'kill'}
  for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do table.insert(out, v) end
  return out
end
if ARGV[2] ~= '0' and not redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') then
  return {0, 'lease'}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = (#KEYS - 2) / 2
local out = {1}
for i = 1, n do
  local h, z = KEYS[1 + 2 * i], KEYS[2 + 2 * i]
  local limit, amount, id = tonumber(ARGV[2 + 3 * i]), tonumber(ARGV[3 + 3 * i]), ARGV[4 + 3 * i]
  local expired = redis.call('ZRANGEBYSCORE', z, '-inf', now)
  for _, old in ipairs(expired) do
    local a = redis.call('HGET', h, 'r:' .. old)
    if a then
      redis.call('HDEL', h, 'r:' .. old)
      redis.call('HINCRBY', h, 'reserved', int(-tonumber(a)))
    end
  end
  if #expired > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', now) end
  local v = redis.call('HMGET', h, 'used', 'reserved')
  local used, reserved = tonumber(v[1]) or 0, tonumber(v[2]) or 0
  if used + reserved + amount > limit then
    -- All or nothing: undo this call's earlier reservations and the slot.
    for j = 1, i - 1 do
      local hj, zj, idj = KEYS[1 + 2 * j], KEYS[2 + 2 * j], ARGV[4 + 3 * j]
      redis.call('HDEL', hj, 'r:' .. idj)
      redis.call('HINCRBY', hj, 'reserved', int(-tonumber(ARGV[3 + 3 * j])))
      redis.call('ZREM', zj, idj)
    end
    redis.call('DEL', KEYS[2])
    return {0, 'budget', i, used, reserved}
  end
  redis.call('HSET', h, 'r:' .. id, int(amount))
  redis.call('HINCRBY', h, 'reserved', int(amount))
  redis.call('ZADD', z, int(now + tonumber(ARGV[3])), id)
  redis.call('PEXPIRE', h, ARGV[4])
  redis.call('PEXPIRE', z, ARGV[4])
  table.insert(out, used)
  table.insert(out, reserved + amount)
end
return out
`;

/**
 * Ends an admitted turn: settles (actual > 0) or releases (actual = 0) each reservation as
 * BUDGET_SETTLE does, and frees the slot if it is still ours. KEYS[1] lease, then (hash, zset)
 * per budget; ARGV token, keyTtlMs, then (id, actual) per budget.
 */
const FINISH = `
local n = (#KEYS - 1) / 2
for i = 1, n do
  local h, z, id, actual = KEYS[2 * i], KEYS[1 + 2 * i], ARGV[1 + 2 * i], ARGV[2 + 2 * i]
  local a = redis.call('HGET', h, 'r:' .. id)
  if a then
    redis.call('HDEL', h, 'r:' .. id)
    redis.call('HINCRBY', h, 'reserved', string.format('%d', -tonumber(a)))
    redis.call('ZREM', z, id)
  end
  if actual ~= '0' then redis.call('HINCRBY', h, 'used', actual) end
  if redis.call('EXISTS', h) == 1 then redis.call('PEXPIRE', h, ARGV[2]) end
end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

/** The scripts as methods on a client that `defineLimitScripts` prepared. */
export interface LimitScripts {
  parleyLimitGcraHitAll(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number[]>;
  parleyLimitLeaseRelease(key: string, token: string): Promise<number>;
  parleyLimitAdmit(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<(number | string)[]>;
  parleyLimitFinish(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
  parleyLimitBudgetReserve(
    hashKey: string,
    zsetKey: string,
    limit: number,
    amount: number,
    id: string,
    reservationTtlMs: number,
    keyTtlMs: number,
  ): Promise<[number, number, number]>;
  parleyLimitBudgetSettle(hashKey: string, zsetKey: string, id: string, actual: number, keyTtlMs: number): Promise<number>;
}

/** Registers the scripts on the client (idempotent; prefixed names cannot clash with other users). */
export function defineLimitScripts(redis: Redis): Redis & LimitScripts {
  // Variable key count: the first argument of each call is the number of keys.
  redis.defineCommand('parleyLimitGcraHitAll', { lua: GCRA_HIT_ALL });
  redis.defineCommand('parleyLimitAdmit', { lua: ADMIT });
  redis.defineCommand('parleyLimitFinish', { lua: FINISH });
  redis.defineCommand('parleyLimitLeaseRelease', { numberOfKeys: 1, lua: LEASE_RELEASE });
  redis.defineCommand('parleyLimitBudgetReserve', { numberOfKeys: 2, lua: BUDGET_RESERVE });
  redis.defineCommand('parleyLimitBudgetSettle', { numberOfKeys: 2, lua: BUDGET_SETTLE });
  // defineCommand adds the methods at run time; this type states what it added.
  return redis as Redis & LimitScripts;
}
