-- wrk script for bench/validation/run: every request is a POST of one JSON body.
--
--   wrk ... -s bench/validation/post.lua 'http://127.0.0.1:PORT/items/7?limit=10' -- BODY.json
--
-- The body is read once from the file given after `--`; wrk adds Content-Length.
-- The request is built once (no `request` function), so the script costs wrk nothing
-- per request.

function init(args)
   local path = args[1]
   if path == nil then
      error("post.lua: pass the JSON body file after --")
   end
   local f = assert(io.open(path, "rb"))
   wrk.body = f:read("*a")
   f:close()
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Accept"] = "application/json"
end
