-- wrk: POST /api/v1/boxes/{id}/moves. Each thread walks its own range of boxes, moving each
-- to the reading room on the first pass and home (`return`) on the next, so every request is
-- a real move and no two threads move the same box.
local boxes = tonumber(os.getenv("BENCH_BOXES"))
local reading_room = os.getenv("BENCH_READING_ROOM")
local thread_count = tonumber(os.getenv("BENCH_THREADS"))
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["Content-Type"] = "application/json"

local threads = 0
function setup(thread)
    thread:set("thread_id", threads)
    threads = threads + 1
end

function init(args)
    span = math.floor(boxes / thread_count)
    first = thread_id * span + 1
    sent = 0
end

function request()
    local box = first + sent % span
    local outbound = math.floor(sent / span) % 2 == 0
    sent = sent + 1
    local body = outbound and ('{"to_location_id":' .. reading_room .. ',"reason":"reading_room"}')
        or '{"reason":"return"}'
    return wrk.format("POST", "/api/v1/boxes/" .. box .. "/moves", nil, body)
end
