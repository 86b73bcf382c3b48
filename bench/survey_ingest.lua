-- wrk script for bench/survey_ingest.sh: POSTs valid survey responses (JSON) to the open link of
-- the units in UNITS (comma-separated), 256 different bodies per thread.
--   SOURCES=many (default): each request from another source (X-Forwarded-For in the IPv6
--     documentation prefix, one /64 per request) with another device cookie, so the per-source
--     and per-device screening does its real work (the store indexes both markers);
--   SOURCES=one: every request from the same address and no device marker (a kiosk).
-- wrk itself counts the answers that are not 2xx; the script adds no per-response Lua work.

local items = { "1.1","1.2","1.3","1.4","2.1","2.2","2.3","2.4","2.5","3.1","3.2","3.3","3.4","3.5","3.6",
                "4.1","4.2","4.3","5.1","5.2","5.3","5.4" }
local genders = { "male", "female" }
local expect = { "rat_nhieu", "nhieu", "it" }
local path = os.getenv("SURVEY_PATH") or "/api/survey/2019/sipas-2017-22/responses"
local many = (os.getenv("SOURCES") or "many") ~= "one"
local units = {}
for u in string.gmatch(os.getenv("UNITS") or "SNV", "[^,]+") do units[#units + 1] = u end

local requests = {}
local counter = 0
local n = 0

function setup(thread)
  n = n + 1
  thread:set("id", n)
end

function init(args)
  math.randomseed(id * 7919)
  for b = 1, 256 do
    local parts = {}
    for i, code in ipairs(items) do
      -- Mostly satisfied, never straight-lined (the first two answers differ).
      local v = (i == 1) and 5 or ((i == 2) and 3 or math.random(2, 5))
      parts[#parts + 1] = string.format('"%s":%d', code, v)
    end
    local body = string.format(
      '{"unit":"%s","answers":{%s},"profile":{"gender":"%s"},"expectations":{"1":"%s","3":"%s"},"free_text":"Cán bộ nhiệt tình, hướng dẫn chu đáo"}',
      units[(b % #units) + 1], table.concat(parts, ","), genders[(b % 2) + 1],
      expect[(b % 3) + 1], expect[((b + 1) % 3) + 1])
    if many then
      requests[b] = body
    else
      requests[b] = wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
    end
  end
end

function request()
  counter = counter + 1
  local b = (counter % 256) + 1
  if not many then
    return requests[b]
  end
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = string.format("2001:db8:%x:%x::1", id, counter % 65536),
    ["Cookie"] = string.format("parindex_device=%08x%08x%048x", id, counter, 0),
  }
  return wrk.format("POST", path, headers, requests[b])
end
