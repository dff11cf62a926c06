-- wrk script of ../http.sh: every request carries "Authorization: Bearer
-- <token>", the tokens of the file given after "--" taken in turn (one a
-- line). With one token in the file every request is the same; with the
-- cold pool every request carries the next token, so that the server sees
-- each again only after the whole pool. The same script drives all three
-- paths, so that wrk's work per request is the same for each.
local tokens = {}
local next = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      tokens[#tokens + 1] = "Bearer " .. line
    end
  end
  if #tokens == 0 then
    error("no tokens in " .. args[1])
  end
end

function request()
  next = next % #tokens + 1
  return wrk.format("GET", wrk.path, { ["Authorization"] = tokens[next] })
end
