-- Writes one progress record: SET with expiry + PUBLISH, and XADD to the events
-- stream for stage boundaries and terminal states, in one atomic round trip.
-- The write is refused when the stored record's seq is not older than ours, so
-- seq stays strictly increasing whoever writes (the server's `queued` record,
-- a worker's Tracker, a re-run after a failure); the caller retries with
-- stored seq + 1.
--
-- KEYS[1] progress:job:<id>   (also the pub/sub channel)
-- KEYS[2] progress:events
-- KEYS[3] progress:cancel:<id>
-- ARGV[1] record JSON   ARGV[2] seq   ARGV[3] TTL seconds
-- ARGV[4] "1" to append to the events stream   ARGV[5] stream MAXLEN (approximate)
-- ARGV[6] job id   ARGV[7] status
-- Returns {written (1|0), seq now stored, cancel requested (1|0)}.
local stored = redis.call('GET', KEYS[1])
if stored then
  local ok, record = pcall(cjson.decode, stored)
  if ok and type(record) == 'table' and type(record.seq) == 'number'
      and record.seq >= tonumber(ARGV[2]) then
    return {0, record.seq, redis.call('EXISTS', KEYS[3])}
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('PUBLISH', KEYS[1], ARGV[1])
if ARGV[4] == '1' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*',
             'job_id', ARGV[6], 'seq', ARGV[2], 'status', ARGV[7], 'record', ARGV[1])
end
return {1, tonumber(ARGV[2]), redis.call('EXISTS', KEYS[3])}
