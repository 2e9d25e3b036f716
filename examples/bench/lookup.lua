-- wrk: GET /api/v1/boxes/by-barcode/{barcode} over random barcodes HS0000001 … HS{BENCH_BOXES}.
local boxes = tonumber(os.getenv("BENCH_BOXES"))
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")

local threads = 0
function setup(thread)
    thread:set("thread_id", threads)
    threads = threads + 1
end

function init(args)
    math.randomseed(os.time() * 100 + thread_id)
end

function request()
    return wrk.format("GET", string.format("/api/v1/boxes/by-barcode/HS%07d", math.random(1, boxes)))
end
