-- wrk script for scripts/bench: random ids, the same URL shape on every server.
-- Usage: wrk ... -s pages.lua URL -- PAGE   (PAGE: onerow | twenty | any other path)
local page = "trivial"

function init(args)
  page = args[1] or page
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  if page == "onerow" then
    return wrk.format("GET", "/reports/onerow?format=json&id=" .. math.random(1, 10000))
  elseif page == "twenty" then
    local q = "/reports/twenty?format=json"
    for i = 1, 20 do q = q .. "&id" .. i .. "=" .. math.random(1, 10000) end
    return wrk.format("GET", q)
  elseif page == "fortunes" then
    return wrk.format("GET", "/reports/fortunes?run=1")
  else
    return wrk.format("GET", "/reports/" .. page .. "?format=json")
  end
end
