-- wrk script of ../http.sh: every request carries "Authorization: Bearer
-- <token>", the tokens of the file given after "--" taken in turn (one a
-- line). With one token in the file every request is the same; with the
-- cold pool every request carries the next token, so that the server sees
-- each again only after the whole pool. The same script drives all three
-- paths, so that wrk's work per request is the same for each. Requests are
-- formatted once, in init: request() only hands the next one out, so that
-- wrk, on a core of its own, can keep the server busy.
local requests = {}
local next = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("GET", wrk.path, { ["Authorization"] = "Bearer " .. line })
    end
  end
  if #requests == 0 then
    error("no tokens in " .. args[1])
  end
end

function request()
  next = next % #requests + 1
  return requests[next]
end
