-- Writes one progress record: SET with expiry + PUBLISH, and XADD to the events
-- stream for stage boundaries and terminal states, in one atomic round trip.
-- The write is refused when the stored record's seq is not older than ours, so
-- seq stays strictly increasing whoever writes (the server's `queued` record,
-- a worker's Tracker, a re-run after a failure); the caller retries with
-- stored seq + 1.
--
-- A stored value that is not a record of this job (not a JSON object, another
-- job's job_id, an unknown status, a seq that is not an integer from 0 to
-- 2^53-1) is overwritten, and the reply says why, so the writer can log it:
-- honoured, such a seq would refuse every later write (Lua numbers are
-- doubles: past 2^53 a seq + 1 is the same number).
--
-- Standalone Redis, three keys:
-- KEYS[1] progress:job:<id>   (also the pub/sub channel)
-- KEYS[2] progress:events
-- KEYS[3] progress:cancel:<id>
-- Redis Cluster, two keys sharing the job's hash tag (docs/protocol.md,
-- "Redis Cluster"); the record goes out with SPUBLISH on ARGV[8], and the
-- caller appends to the events stream partition itself, after the script:
-- KEYS[1] progress:{<id>}:job
-- KEYS[2] progress:{<id>}:cancel
-- ARGV[1] record JSON   ARGV[2] seq (decimal, 1 to 2^53-1)   ARGV[3] TTL seconds
-- ARGV[4] "1" to append to the events stream (standalone only)
-- ARGV[5] stream MAXLEN (approximate)   ARGV[6] job id   ARGV[7] status
-- ARGV[8] the shard channel progress:{<id>} (cluster only)
-- Returns {written (1|0), seq now stored, cancel requested (1|0),
--          why a stored value was overwritten ("" when it was a record or absent)}.
local max_seq = 9007199254740991
local statuses = {queued = true, initializing = true, running = true, completed = true,
                  failed = true, cancelled = true}

local function valid_seq(n)
  return type(n) == 'number' and n >= 0 and n <= max_seq and n == math.floor(n)
end

local cluster = #KEYS == 2
local cancel_key = cluster and KEYS[2] or KEYS[3]

local seq = tonumber(ARGV[2])
if not string.match(ARGV[2], '^%d+$') or not valid_seq(seq) or seq < 1 then
  return redis.error_reply('ERR seq must be an integer from 1 to 2^53-1, not ' .. ARGV[2])
end

local replaced = ''
local stored = redis.call('GET', KEYS[1])
if stored then
  local ok, record = pcall(cjson.decode, stored)
  if not ok or type(record) ~= 'table' then
    replaced = 'not a JSON object'
  elseif record.job_id ~= ARGV[6] then
    replaced = 'job_id is not this job'
  elseif not statuses[record.status] then
    replaced = 'unknown status'
  elseif not valid_seq(record.seq) then
    replaced = 'seq is not an integer from 0 to 2^53-1'
  elseif record.seq >= seq then
    return {0, record.seq, redis.call('EXISTS', cancel_key), ''}
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
if cluster then
  redis.call('SPUBLISH', ARGV[8], ARGV[1])
  return {1, seq, redis.call('EXISTS', cancel_key), replaced}
end
redis.call('PUBLISH', KEYS[1], ARGV[1])
if ARGV[4] == '1' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*',
             'job_id', ARGV[6], 'seq', ARGV[2], 'status', ARGV[7], 'record', ARGV[1])
end
return {1, seq, redis.call('EXISTS', cancel_key), replaced}
