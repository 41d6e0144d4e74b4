-- lua/faas.lua: helpers faas.conf.lua can use with `local faas = require "faas"`.
-- Compiled into the faas binary. `core` holds the functions written in C:
--   faas.match(host, pattern_or_list)  exact name or "*.domain" (one label), case-insensitive
--   faas.log(...)                      a line in the faas log
local core = ...
local faas = {}
for name, fn in pairs(core) do faas[name] = fn end

-- faas.routes{hosts = {...}, prefixes = {...}} builds a `route` hook.
--   hosts:    { ["api.example.org"] = "billing", ["*.shop.example"] = "shop" }
--   prefixes: { ["/billing/"] = "billing" }  (the longest matching prefix wins)
-- Hosts are tried first, then path prefixes; nil lets normal routing decide.
function faas.routes(spec)
  local hosts, prefixes = spec.hosts or {}, {}
  for prefix, fn in pairs(spec.prefixes or {}) do
    prefixes[#prefixes + 1] = { prefix = prefix, fn = fn }
  end
  table.sort(prefixes, function(a, b) return #a.prefix > #b.prefix end)
  return function(host, path, method)
    host = string.lower(host)
    local fn = hosts[host]
    if fn then return fn end
    for pattern, name in pairs(hosts) do
      if faas.match(host, pattern) then return name end
    end
    for _, p in ipairs(prefixes) do
      if string.sub(path, 1, #p.prefix) == p.prefix then return p.fn end
    end
    return nil
  end
end

-- faas.ports(list) turns {8000, "9000-9100"} into a set usable in port_allowed:
--   local ok = faas.ports{ "10000-20000" }
--   function port_allowed(port) return ok[port] == true, "use 10000-20000" end
function faas.ports(list)
  local set = {}
  for _, item in ipairs(list) do
    if type(item) == "number" then
      set[item] = true
    else
      local lo, hi = string.match(item, "^(%d+)%-(%d+)$")
      assert(lo, "faas.ports: bad range " .. tostring(item))
      for p = tonumber(lo), tonumber(hi) do set[p] = true end
    end
  end
  return set
end

return faas
