-- wrk script of bench/tileserver.sh: cycles through a fixed list of URL paths.
--   wrk -t THREADS ... -s bench/tileserver_tiles.lua URL -- PATHS_FILE THREADS
-- PATHS_FILE holds one path a line (/tiles/all/12/3301/1723.mvt).  Thread t of
-- THREADS (pass wrk's -t again) takes lines t+1, t+1+THREADS, ... and cycles
-- through them; the connections of a thread share its cycle.  So no two
-- requests in flight ask for the same tile, and the server never answers two
-- of them with one query (when the threads share tiles, a server that
-- coalesces identical requests can fall into step with them).  Requests are
-- identity (no Accept-Encoding).  done() prints one RESULT line for the
-- benchmark script to read.

local counter = 0

function setup(thread)
	thread:set("tid", counter)
	counter = counter + 1
end

function init(args)
	local paths = {}
	for line in io.lines(args[1]) do
		if line ~= "" then
			paths[#paths + 1] = line
		end
	end
	if #paths == 0 then
		error("no paths in " .. tostring(args[1]))
	end
	local nthreads = tonumber(args[2]) or 1
	if #paths < nthreads then
		nthreads = 1
	end
	reqs = {}
	for i = tid % nthreads + 1, #paths, nthreads do
		reqs[#reqs + 1] = wrk.format("GET", paths[i])
	end
	idx = 0
end

function request()
	idx = idx % #reqs + 1
	return reqs[idx]
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d mean_us=%.1f max_us=%d " ..
		"err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
		summary.requests, summary.duration, summary.bytes,
		latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
		e.connect, e.read, e.write, e.status, e.timeout))
end
