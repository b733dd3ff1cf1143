/**
 * The queue's Lua scripts. Every key a script touches shares the queue's hash tag `{name}`; job
 * hashes are `KEYS[1] .. id` (the job key prefix is passed as a key, so that ioredis's `keyPrefix`
 * applies to it and a Cluster routes the script to the queue's slot).
 *
 * Job hash fields: t type, d payload JSON, p priority rank (0 critical … 3 low), a tries started
 * (none: 0), m most tries, o options JSON, at added, s state (none: ready), q FIFO sequence (none:
 * the id, which a job added without `jobId` has as its sequence number), st started, e finished,
 * er / sk last error and stack, du due (delayed), ls lease token of the worker holding it
 * (`done:` + token once that worker completed it).
 *
 * Sets: ready (score rank × 1e13 + sequence: ZPOPMIN takes the highest priority, FIFO within
 * it), delayed (score: due time), active (score: lease deadline), dead and completed (score: when).
 * A one-element list `wake` is what idle workers block on (BLPOP); whoever makes a job ready
 * pushes it (trimming it back to one element when nobody had popped it), and a worker that took a
 * full batch pushes it again while jobs are left, so that idle workers wake one after the other.
 *
 * Every script's ARGV[1] is the time in ms from the client, or empty for the server's `TIME`;
 * `stamp` is that time as text (what timestamps are written as), `now` as a number; a script
 * reads `TIME` only when it needs the time. Computed numbers (scores, due times, deadlines) go to
 * commands as Lua numbers, which Redis writes with `%.17g`: exact for integers below 2^53 (Lua's
 * own conversion, `tostring` or `..`, keeps 14 digits only). Replies carry numbers as integers and
 * are flat lists: Redis converts every table of a reply separately. Each script defines only the
 * helpers it calls (a script defines them again on every run).
 * @module
 * @internal
 */

/** Sets `stamp` from TIME when the caller sent no time (`stamp` is declared by the script). */
const TIME = `if stamp == '' then
  -- Milliseconds as text from TIME's seconds and microseconds: cheaper than arithmetic and formatting.
  local t = redis.call('TIME')
  stamp = t[1] .. string.sub(string.rep('0', 6 - #t[2]) .. t[2], 1, 3)
end`;

/** `stamp` and `now`: the time as text and as a number. */
const NOW = `local stamp = ARGV[1]
${TIME}
local now = tonumber(stamp)`;

// The wake list holds one element at most: pushing first costs one call when a worker is idle
// (it popped the last one), trimming the extra one a second call when none is.
const WAKE = `local function wake(list) if redis.call('RPUSH', list, '1') > 1 then redis.call('LTRIM', list, '0', '0') end end`;

// One ZADD / ZREM for many members, in chunks that Lua's unpack takes (pairs stay aligned).
const MANY = `local function many(command, key, args)
  for i = 1, #args, 2000 do redis.call(command, key, unpack(args, i, math.min(i + 1999, #args))) end
end`;

// A job is ready again: its state, its sequence number, and its place in the ready set (Redis
// writes the number arguments; a score stays exact below 2^53).
const READY = `local function ready(key, list, id, rank, seq)
  redis.call('HSET', key, 's', 'ready', 'q', seq)
  redis.call('ZADD', list, tonumber(rank) * 1e13 + tonumber(seq), id)
end`;

// Completes the jobs of ARGV[first], ARGV[first + 1], … (id, token pairs) whose lease the caller
// still holds, appending to `out` 1 (completed) or 0 (lease lost) for each. The token becomes
// 'done:' .. token, which no worker holds, so that a completion sent again after a lost reply
// answers 1 again (as does a removed job: an active job is deleted by nothing else). `stamp` is
// read only when the jobs are kept.
const COMPLETE_ALL = `${MANY}
local function completeAll(out, jobs, active, completedSet, remove, first)
  if first > #ARGV then return end
  local ended, completed = {}, {}
  for i = first, #ARGV, 2 do
    local id = ARGV[i]
    local key = jobs .. id
    local holder = redis.call('HGET', key, 'ls')
    if holder == ARGV[i + 1] then
      if remove then
        redis.call('DEL', key)
      else
        redis.call('HSET', key, 's', 'completed', 'e', stamp, 'ls', 'done:' .. holder)
        completed[#completed + 1] = stamp; completed[#completed + 1] = id
      end
      ended[#ended + 1] = id
      out[#out + 1] = 1
    elseif holder == 'done:' .. ARGV[i + 1] or (remove and redis.call('EXISTS', key) == 0) then
      out[#out + 1] = 1
    else
      out[#out + 1] = 0
    end
  end
  many('ZREM', active, ended)
  many('ZADD', completedSet, completed)
end`;

// Puts an active job back in ready at its place (its sequence number: \`q\`, or its id when it has
// none), the try not counted; returns 1.
const HAND_BACK = `${READY}
local function handBack(key, active, list, id)
  redis.call('ZREM', active, id)
  redis.call('HDEL', key, 'ls', 'st')
  redis.call('HINCRBY', key, 'a', '-1')
  local f = redis.call('HMGET', key, 'p', 'q')
  ready(key, list, id, f[1], f[2] or id)
  return 1
end`;

/** Most stalled jobs one fetch sweeps; a sweep that reached it is done again on the next fetch. */
export const SWEEP_LIMIT = 100;

/** The error stored with a job that stalled on its last try. */
const STALLED_ERROR = 'the lease of its last try ran out (its worker died, hung or lost Redis)';

const FIELDS = `'t', 'd', 'p', 'a', 'm', 'o', 'at', 's', 'st', 'e', 'er', 'sk', 'du'`;

/**
 * Adds jobs. KEYS: jobs, sequence, ready, delayed, wake. ARGV: now, whether to count the ready
 * depth (1; a queue without `highWaterMark` has no use for it), the number of shapes, the shapes
 * (type, rank, most tries, options, delay ms: what jobs of a bulk add mostly share, sent once
 * each), then per job its shape's number (from 1), id (empty: the sequence number is its id) and
 * payload.
 * Returns one flat list: `readyDepth (0 when not counted), addedAt`, then per job `id, 1` when
 * added, `id, 0, fields…` (the 13 of FIELDS) when the id existed (nothing written). Given ids are
 * never integers, so assigned ids never collide with them and need no existence check. The
 * batch's sequence numbers are taken with one INCRBY. A job is written with the fields it needs:
 * no tries (`a`: none yet), no state when ready (`s`: a job without one is ready), no sequence
 * number when its id is that number (`q`).
 */
export const ADD = `local stamp = ARGV[1]
${TIME}
${MANY}
${WAKE}
local PAD = '0000000000000'
local out = {0, stamp}
local readyArgs, delayedArgs = {}, {}
local first = 4 + tonumber(ARGV[3]) * 5
local count = (#ARGV - first + 1) / 3
-- One INCRBY numbers the whole batch (an id that exists leaves its number unused); INCR for one
-- job, which has no number argument to format.
local seq
if count == 1 then seq = redis.call('INCR', KEYS[2]) - 1 else seq = redis.call('INCRBY', KEYS[2], count) - count end
for b = first, #ARGV, 3 do
  local s = 4
  if ARGV[b] ~= '1' then s = 4 + (tonumber(ARGV[b]) - 1) * 5 end
  local id = ARGV[b + 1]
  seq = seq + 1
  local f, seqText
  if id == '' then
    -- As text for the key: Lua's own conversion keeps 14 digits only.
    seqText = string.format('%.0f', seq)
    id = seqText
  else
    f = redis.call('HMGET', KEYS[1] .. id, ${FIELDS})
  end
  if f and f[1] then
    out[#out + 1] = id; out[#out + 1] = 0
    for i = 1, #f do out[#out + 1] = f[i] end
  else
    local rank = ARGV[s + 1]
    f = {'t', ARGV[s], 'd', ARGV[b + 2], 'p', rank, 'm', ARGV[s + 2], 'at', stamp}
    if ARGV[s + 3] ~= '' then f[#f + 1] = 'o'; f[#f + 1] = ARGV[s + 3] end
    if ARGV[b + 1] ~= '' then f[#f + 1] = 'q'; f[#f + 1] = seq end
    local delay = ARGV[s + 4]
    if delay ~= '0' then
      local due = tonumber(stamp) + tonumber(delay)
      f[#f + 1] = 's'; f[#f + 1] = 'delayed'; f[#f + 1] = 'du'; f[#f + 1] = due
      delayedArgs[#delayedArgs + 1] = due; delayedArgs[#delayedArgs + 1] = id
    else
      -- The score as text: the rank, then the sequence number on 13 digits (no number to format).
      local score
      if seqText and #seqText <= 13 then score = rank .. string.sub(PAD, #seqText + 1) .. seqText else score = tonumber(rank) * 1e13 + seq end
      readyArgs[#readyArgs + 1] = score; readyArgs[#readyArgs + 1] = id
    end
    redis.call('HSET', KEYS[1] .. id, unpack(f))
    out[#out + 1] = id; out[#out + 1] = 1
  end
end
many('ZADD', KEYS[3], readyArgs)
many('ZADD', KEYS[4], delayedArgs)
if #readyArgs + #delayedArgs > 0 then wake(KEYS[5]) end
if ARGV[2] == '1' then out[1] = redis.call('ZCARD', KEYS[3]) end
return out`;

/**
 * Completes the caller's finished jobs (as COMPLETE: acknowledgements ride on the fetch), promotes
 * due delayed jobs, sweeps stalled ones (lease ran out: back to ready with the try counted, or
 * dead when it was the last) once `now` reaches the sweep time the caller gives, then takes up to
 * `count` ready jobs into active with a lease. The earliest delayed job is looked up once: it is
 * both the test for promotion (nothing is promoted unless it is due) and the next due time.
 * KEYS: jobs, ready, active, delayed, dead, wake, sequence, completed. ARGV: now, count, lease ms,
 * token prefix, remove completed (1), sweep time (sweeps when now is at or past it), then the id,
 * token pairs of completed jobs. A sweep takes at most {@link SWEEP_LIMIT} jobs. Returns one flat
 * list (one table to build here and to convert for the reply):
 * `now, ms until the next delayed job (-1: none), how many stalled, {completed: 1 | 0}…,
 * {stalled: id, type, tries, dead 0/1}…, {taken: id, t, d, p, a, m, o, at}…`; a job taken has the
 * lease token prefix .. its id (no tokens: no number to format).
 */
export const FETCH = `${NOW}
${COMPLETE_ALL}
${READY}
${WAKE}
local out = {now, -1, 0}
completeAll(out, KEYS[1], KEYS[3], KEYS[8], ARGV[5] == '1', 7)
local first = redis.call('ZRANGE', KEYS[4], '0', '0', 'WITHSCORES')
if first[2] and tonumber(first[2]) <= now then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', stamp, 'LIMIT', '0', '1000')) do
    redis.call('ZREM', KEYS[4], id)
    local key = KEYS[1] .. id
    local rank = redis.call('HGET', key, 'p')
    if rank then
      redis.call('HDEL', key, 'du')
      ready(key, KEYS[2], id, rank, redis.call('INCR', KEYS[7]))
    end
  end
  first = redis.call('ZRANGE', KEYS[4], '0', '0', 'WITHSCORES')
end
if now >= tonumber(ARGV[6]) then
  local stalled = 0
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', stamp, 'LIMIT', '0', '${SWEEP_LIMIT}')) do
    redis.call('ZREM', KEYS[3], id)
    local key = KEYS[1] .. id
    local f = redis.call('HMGET', key, 'p', 'q', 'a', 'm', 't')
    if f[1] then
      redis.call('HDEL', key, 'ls')
      local dead = 0
      if tonumber(f[3]) >= tonumber(f[4]) then
        dead = 1
        redis.call('HSET', key, 's', 'dead', 'e', stamp, 'er', '${STALLED_ERROR}', 'sk', '')
        redis.call('ZADD', KEYS[5], stamp, id)
      else
        ready(key, KEYS[2], id, f[1], f[2] or id)
      end
      out[#out + 1] = id; out[#out + 1] = f[5]; out[#out + 1] = f[3]; out[#out + 1] = dead
      stalled = stalled + 1
    end
  end
  out[3] = stalled
end
local count = tonumber(ARGV[2])
if count > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[2], ARGV[2])
  local deadline = now + tonumber(ARGV[3])
  local leases = {}
  for i = 1, #popped, 2 do
    local id = popped[i]
    local key = KEYS[1] .. id
    local f = redis.call('HMGET', key, 't', 'd', 'p', 'a', 'm', 'o', 'at')
    if f[1] then
      local tries = '1'
      if f[4] then tries = tonumber(f[4]) + 1 end
      redis.call('HSET', key, 'a', tries, 's', 'active', 'ls', ARGV[4] .. id, 'st', stamp)
      leases[#leases + 1] = deadline; leases[#leases + 1] = id
      local at = #out
      out[at + 1] = id; out[at + 2] = f[1]; out[at + 3] = f[2]; out[at + 4] = f[3]
      out[at + 5] = tries; out[at + 6] = f[5]; out[at + 7] = f[6]; out[at + 8] = f[7]
    end
  end
  many('ZADD', KEYS[3], leases)
  if #popped == count * 2 and redis.call('ZCARD', KEYS[2]) > 0 then wake(KEYS[6]) end
end
if first[2] then out[2] = math.max(0, tonumber(first[2]) - now) end
return out`;

/**
 * Completes jobs whose lease the caller still holds. KEYS: jobs, active, completed. ARGV: now,
 * remove (1: delete the job), then id, token pairs. Returns `{1 completed | 0 lease lost}…`.
 * Reads the time only when it keeps the jobs.
 */
export const COMPLETE = `local stamp = ARGV[1]
if ARGV[2] ~= '1' then
${TIME}
end
${COMPLETE_ALL}
local out = {}
completeAll(out, KEYS[1], KEYS[2], KEYS[3], ARGV[2] == '1', 3)
return out`;

/**
 * Fails a job whose lease the caller still holds: dead (delay -1), ready again (0) or delayed.
 * KEYS: jobs, active, delayed, dead, ready, wake, sequence. ARGV: now, id, token, delay ms,
 * message, stack. Returns 1, or 0 when the lease was lost (nothing written).
 */
export const FAIL = `${NOW}
${READY}
${WAKE}
local id = ARGV[2]
local key = KEYS[1] .. id
if redis.call('HGET', key, 'ls') ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[2], id)
redis.call('HDEL', key, 'ls')
redis.call('HSET', key, 'er', ARGV[5], 'sk', ARGV[6])
local delay = tonumber(ARGV[4])
if delay < 0 then
  redis.call('HSET', key, 's', 'dead', 'e', stamp)
  redis.call('ZADD', KEYS[4], stamp, id)
  return 1
end
if delay == 0 then
  ready(key, KEYS[5], id, redis.call('HGET', key, 'p'), redis.call('INCR', KEYS[7]))
else
  local due = now + delay
  redis.call('HSET', key, 's', 'delayed', 'du', due)
  redis.call('ZADD', KEYS[3], due, id)
end
wake(KEYS[6])
return 1`;

/**
 * Hands leases back: jobs go back to ready at their place, the try not counted. KEYS: jobs,
 * active, ready, wake. ARGV: now, then id, token pairs. Returns how many were handed back.
 */
export const RELEASE = `${HAND_BACK}
${WAKE}
local n = 0
for i = 2, #ARGV, 2 do
  local key = KEYS[1] .. ARGV[i]
  if redis.call('HGET', key, 'ls') == ARGV[i + 1] then n = n + handBack(key, KEYS[2], KEYS[3], ARGV[i]) end
end
if n > 0 then wake(KEYS[4]) end
return n`;

/**
 * Hands back the leases a worker holds without knowing it: jobs a fetch moved to active whose
 * reply was lost (the connection dropped, the call timed out). KEYS: jobs, active, ready, wake.
 * ARGV: now, the worker's token prefix, then the tokens it knows. Returns how many were handed back.
 */
export const RECLAIM = `${HAND_BACK}
${WAKE}
local known = {}
for i = 3, #ARGV do known[ARGV[i]] = true end
local prefix = ARGV[2]
local n = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], '0', '-1')) do
  local key = KEYS[1] .. id
  local token = redis.call('HGET', key, 'ls')
  if token and string.sub(token, 1, #prefix) == prefix and not known[token] then
    handBack(key, KEYS[2], KEYS[3], id)
    n = n + 1
  end
end
if n > 0 then wake(KEYS[4]) end
return n`;

/**
 * Extends leases. KEYS: jobs, active. ARGV: now, lease ms, then id, token pairs. Returns
 * `{1 extended | 0 lost}…`.
 */
export const EXTEND = `${NOW}
local out = {}
local deadline = now + tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  if redis.call('HGET', KEYS[1] .. ARGV[i], 'ls') == ARGV[i + 1] then
    redis.call('ZADD', KEYS[2], 'XX', deadline, ARGV[i])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out`;

/**
 * Cancels a ready or delayed job (deletes it). KEYS: jobs, ready, delayed. ARGV: now, id.
 * Returns `cancelled`, or the state that prevented it (`missing` when there is no such job).
 */
export const CANCEL = `local key = KEYS[1] .. ARGV[2]
local f = redis.call('HMGET', key, 't', 's')
if not f[1] then return 'missing' end
local state = f[2] or 'ready'
if state == 'ready' then redis.call('ZREM', KEYS[2], ARGV[2])
elseif state == 'delayed' then redis.call('ZREM', KEYS[3], ARGV[2])
else return state end
redis.call('DEL', key)
return 'cancelled'`;

/**
 * Moves a dead job back to ready with its tries reset. KEYS: jobs, dead, ready, wake, sequence.
 * ARGV: now, id. Returns 1, or 0 when the job is not dead.
 */
export const RETRY_DEAD = `${READY}
${WAKE}
local id = ARGV[2]
if redis.call('ZREM', KEYS[2], id) == 0 then return 0 end
local key = KEYS[1] .. id
redis.call('HSET', key, 'a', '0')
redis.call('HDEL', key, 'er', 'sk', 'e', 'st')
ready(key, KEYS[3], id, redis.call('HGET', key, 'p'), redis.call('INCR', KEYS[5]))
wake(KEYS[4])
return 1`;

/**
 * Deletes up to `limit` jobs of a set that ended before a time. KEYS: jobs, the set. ARGV: now,
 * age ms, limit. Returns how many were deleted.
 */
export const CLEAN = `${NOW}
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]), 'LIMIT', '0', ARGV[3])
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('DEL', KEYS[1] .. id)
end
return #ids`;

/**
 * Counts. KEYS: ready, delayed, active, dead, completed. Returns ready by rank (4), then delayed,
 * active, dead, completed.
 */
export const STATS = `local out = {}
for rank = 0, 3 do
  out[#out + 1] = redis.call('ZCOUNT', KEYS[1], string.format('%.0f', rank * 1e13), '(' .. string.format('%.0f', (rank + 1) * 1e13))
end
for i = 2, 5 do out[#out + 1] = redis.call('ZCARD', KEYS[i]) end
return out`;
