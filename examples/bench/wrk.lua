-- wrk script of the benchmark, in one of three modes.
-- BENCH_PATH set: GET it with a random number from BENCH_MIN (default 1) to BENCH_MAX in place of its %d
-- (e.g. /api/v1/boxes/by-barcode/HS%07d, /api/v1/files/%d), or with BENCH_QUERIES set (a
-- space-separated list), one of those at random in place of its %s (/api/v1/files?q=%s).
-- BENCH_PATH and BENCH_WRITES set (the soak): that GET, but BENCH_WRITES percent of the
-- requests are moves as below.
-- Otherwise: POST /api/v1/boxes/{id}/moves. Each thread walks its own range of BENCH_BOXES
-- boxes, moving each to BENCH_READING_ROOM on the first pass and home (`return`) on the next,
-- so every request is a real move and no two threads move the same box. With BENCH_IDEMPOTENT
-- set, each move carries an Idempotency-Key of its own.
local path = os.getenv("BENCH_PATH")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
-- BENCH_COOKIE set: sent too (the app's pages, signed in).
if os.getenv("BENCH_COOKIE") then
    wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
end
wrk.headers["Content-Type"] = "application/json"

local threads = 0
all_threads = {}
function setup(thread)
    thread:set("thread_id", threads)
    threads = threads + 1
    table.insert(all_threads, thread)
end

local writes = tonumber(os.getenv("BENCH_WRITES") or "0")

function init(args)
    math.randomseed(os.time() * 100 + thread_id)
    if path then
        min = tonumber(os.getenv("BENCH_MIN") or "1")
        max = tonumber(os.getenv("BENCH_MAX"))
        queries = {}
        for query in string.gmatch(os.getenv("BENCH_QUERIES") or "", "%S+") do
            table.insert(queries, query)
        end
    end
    if not path or writes > 0 then
        span = math.floor(tonumber(os.getenv("BENCH_BOXES")) / tonumber(os.getenv("BENCH_THREADS")))
        first = thread_id * span + 1
        reading_room = os.getenv("BENCH_READING_ROOM")
        idempotent = os.getenv("BENCH_IDEMPOTENT")
        run = tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000000))
        sent = 0
    end
end

function request()
    if path and #queries > 0 then
        return wrk.format("GET", string.format(path, queries[math.random(1, #queries)]))
    end
    if path and (writes == 0 or math.random(1, 100) > writes) then
        return wrk.format("GET", string.format(path, math.random(min, max)))
    end
    local box = first + sent % span
    local outbound = math.floor(sent / span) % 2 == 0
    sent = sent + 1
    local body = outbound and ('{"to_location_id":' .. reading_room .. ',"reason":"reading_room"}')
        or '{"reason":"return"}'
    local headers = nil
    if idempotent then
        -- wrk.format uses these instead of wrk.headers: carry those over.
        headers = { ["Idempotency-Key"] = run .. "-" .. thread_id .. "-" .. sent }
        for name, value in pairs(wrk.headers) do
            headers[name] = value
        end
    end
    return wrk.format("POST", "/api/v1/boxes/" .. box .. "/moves", headers, body)
end

-- The soak keeps every answer that was not 2xx (status and the start of its body) and prints
-- them at the end.
if writes > 0 then
    failed = ""
    function response(status, headers, body)
        if status >= 300 then
            failed = failed .. status .. " " .. string.sub(body, 1, 300) .. " | "
        end
    end

    function done(summary, latency, requests)
        for _, thread in ipairs(all_threads) do
            local statuses = thread:get("failed")
            if statuses ~= "" then
                print("answered " .. statuses)
            end
        end
    end
end
