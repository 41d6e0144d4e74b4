-- faas.conf.lua: configuration and policy of the faas server.
--
-- This file is Lua 5.4. It is read at start-up and again on SIGHUP
-- (kill -HUP <pid>): a reload logs each setting it changes (old -> new); one
-- that fails keeps the running configuration and logs why. Settings marked
-- "restart" only change when faas restarts (a reload warns and keeps them).
-- Check a file without starting the server:  faas check -c faas.conf.lua
-- (it prints every setting, its value and where it came from: the file, an
-- environment variable, or the default).
--
-- Every global this file sets must be a setting below or one of the hooks at
-- the end (route, port_allowed, tls_allowed, volume_allowed, scale): any other name stops faas and names the nearest known one, so a
-- typo is never ignored. Keep your own values and functions local:
--   local faas = require "faas"      local function helper() ... end
--
-- Durations are seconds (30) or strings: "500ms", "30s", "2m", "1h", "7d".
-- Sizes are bytes (1048576) or strings: "512k", "10m", "1g".
-- Relative paths are relative to this file's folder; "~/" is $HOME.
--
-- Environment variables override this file (names from the original
-- programs): SERVER_PORT, SERVER_READ_TIMEOUT, SERVER_WRITE_TIMEOUT,
-- SERVER_SHUTDOWN_TIMEOUT, DOCKER_IMAGE_PREFIX, DOCKER_CONTAINER_LIMIT,
-- DOCKER_RUN_TIMEOUT, DOCKER_BUILD_TIMEOUT, MAX_FILE_SIZE, TEMP_DIR_BASE,
-- LOG_LEVEL, ENV (prod|dev), ALLOWLIST ("a.example.com,*.example.com"),
-- CLEANUP_INTERVAL, RESTART_INTERVAL, LOG_TO_FILE (1, 0 or a path),
-- DOCKER_HOST (unix:///path only).

-- Address of the API and of function traffic (plain HTTP/1.1 and h2c).
-- A port alone (8080) listens on every interface; "127.0.0.1:8080" only on
-- loopback; "[::1]:8080" for IPv6; port 0 picks a free port. (restart)
listen = "127.0.0.1:8080"

-- Functions are served at <name>.<domain>. Point a wildcard DNS record
-- (*.example.com) at this host.
domain = "localhost"

-- Where faas keeps its state (LMDB store, runtime Dockerfiles, function
-- volumes, build files). (restart)
data_dir = "/var/lib/faas"

-- The passkey file. Created on first start (mode 0600) with a random key,
-- which is printed once. Send it as "Authorization: <key>" or
-- "Authorization: Bearer <key>". (restart)
passfile = "~/.passfile"

-- Where uploads are unpacked and large request bodies are buffered.
-- Default: <data_dir>/tmp. (restart)
-- temp_dir = "/var/tmp/faas"

-- "dev": plain HTTP on `listen`. "prod": ACME mode, like setting tls.acme:
-- HTTPS on tls.https_port with certificates from the ACME CA for the names
-- the allowlist (or the tls_allowed hook) allows, and plain HTTP on
-- tls.http_port for the CA's challenges and 308 redirects to HTTPS; `listen`
-- is then not opened. (restart)
mode = "dev"

-- debug, info, warn or error.
log_level = "info"

-- Log to this file instead of stderr (relative to data_dir). true means
-- <data_dir>/faas.log.
-- log_file = "faas.log"

-- One JSON line per request (API and function traffic: time, client, host,
-- method, path, proto, status, bytes, duration_ms, function, replica,
-- upstream_ms, wake_ms): a file (relative to data_dir), or true for stderr.
-- Off by default. After logrotate moves the file, `kill -USR1 <pid>` makes
-- faas write to a new one. Needs a restart to change.
-- access_log = "access.log"

-- Count requests for GET /metrics (Prometheus text format; the passkey or a
-- read key). false: nothing is counted and /metrics answers 404. Needs a
-- restart to change.
metrics = true

-- Loopback ports a function may not take as its direct port: ports or
-- "low-high" ranges. faas's own ports are always refused.
reserved_ports = { 80, 8080, 9001 }

-- How often unused runtime files, stale build folders and images no
-- function uses are removed.
cleanup_interval = "120s"

-- How often faas checks that every service function that should run does,
-- and restarts the ones that do not (a crash is also noticed at once).
restart_interval = "120s"

-- Deploys kept per service function for rollback (1 to 100): the newest
-- this many revisions keep their images (the cleanup leaves them);
-- POST /function/rollback/<name> (or `faas rollback NAME`) switches back to
-- one without a build, its settings (env, volume, scale, port) included.
revisions = 5

-- Names that may get an automatic HTTPS certificate: exact names and
-- "*.example.com" (one label under example.com). Used when no tls_allowed
-- hook is defined below. Empty: no name gets one. IP addresses never do.
-- Each new name costs an order at the CA (Let's Encrypt: 50 new names per
-- registered domain and week), so allow only names you serve. Only allowed
-- names that reach a function (<name>.<domain>, or a name the route hook,
-- asked with path "/", sends to one) get a certificate on their first
-- handshake; new orders: 50 at once, then one per 72 s.
allowlist = {}

limits = {
  max_file_size = "10m",     -- uploaded code: zips and Dockerfiles (413 above)
  max_unpacked_size = "256m", -- what an uploaded zip may unpack to (a zip bomb is refused)
  max_body_size = "64m",     -- any request body, proxied traffic included (restart)
  max_unauth_body = "64k",   -- a body sent to the API without the passkey (its answer
                             -- is a 401 anyway): past this size, or still arriving
                             -- after server.header_timeout, its connection is closed
                             -- instead (libh2o reads a whole body before faas sees the
                             -- request); function traffic is not concerned
  memory = "256m",           -- memory of each function container
  cpus = 1,                  -- CPUs of each function container (0.5 = half a core)
  pids = 256,                -- processes and threads in each function container
  containers = 10,           -- executions running at once; more get 429
  run_timeout = "30s",       -- one execution; then the container is killed
  warm = 2,                  -- containers kept started ahead per job function, each
                             -- waiting for one call's input (0 = a new one per call);
                             -- all of them together stay under `containers`
  warm_idle = "300s",        -- a started-ahead container unused this long is removed
  build_timeout = "120s",    -- one image build
  start_timeout = "60s",     -- a new service container must answer HTTP within it
  upstream_timeout = "60s",  -- a proxied request waiting on its function (restart)
}

server = {
  read_timeout = "300s",     -- to receive a whole request, body included (HTTP/2: its
                             -- body): long enough for big uploads on slow links (restart)
  write_timeout = "60s",     -- an HTTP/2 connection idle this long is closed (restart)
  header_timeout = "60s",    -- to receive a request's headers, counted from a new
                             -- connection's accept or a later request's first byte;
                             -- slower clients are closed (nginx's default: 60s)
  keepalive_timeout = "60s", -- a connection with no request in progress is closed
                             -- after it (nginx: 75s; h2o: 10s)
  max_connections = 4096,    -- open client connections, all loops together; a new one
                             -- past it closes the connection idle the longest (else the
                             -- one waiting longest for its headers), or is refused when
                             -- none is; kept under half the open files limit, which faas
                             -- raises to its hard limit at start (h2o's default: 1024)
  shutdown_timeout = "5s",   -- on SIGTERM/SIGINT, time given to requests in flight
  threads = 0,               -- event-loop threads; 0 = one per CPU core (restart)
  workers = 16,              -- threads for blocking work: Docker, builds (restart)
}

-- How many replicas (containers of its current version) each service
-- function runs, and when. These are every function's defaults: a function's
-- own settings (upload fields scale_min, scale_max, scale_target,
-- concurrency; PUT /function/scale/<name>) come first, then what the scale
-- hook below returns for it, then this table. A min above max (at any level)
-- raises max to min.
scale = {
  min = 0,              -- replicas kept while idle (0: scale to zero); 0 to 1000,
                        -- at most max
  max = 1,              -- most replicas per function (1 to 1000)
  target = 10,          -- requests in flight per replica the autoscaler aims at
                        -- (1 to 100000)
  concurrency = 0,      -- hard cap of requests in flight per replica (0: none;
                        -- up to 100000); more wait in the proxy
  window = "60s",       -- how long the load must stay low before replicas are
                        -- removed (2s to 1h)
  pause_after = "5m",   -- a function idle this long (and min = 0) has its replicas
                        -- paused: no CPU, memory kept (1s to 30d)
  stop_after = "1h",    -- paused this long: stopped, so their memory is freed
                        -- (1s to 365d)
  wake_timeout = "60s", -- the longest a request waits for a wake or a free
                        -- replica, then 503 (100ms to 10m)
  queue = 1000,         -- requests that may wait per function, all loops together;
                        -- beyond it 503 with Retry-After (0 to 1000000)
}

tls = {
  -- A certificate for HTTPS on https_port (PEM files). In ACME mode it is the
  -- fallback for names without a certificate of their own and for clients
  -- that send no server name (without it those handshakes are refused). (restart)
  -- cert = "/etc/faas/cert.pem",
  -- key = "/etc/faas/key.pem",
  https_port = 443,          -- (restart)
  http_port = 80,            -- ACME mode: challenges and redirects; must be what
                             -- the CA dials (80 for Let's Encrypt) (restart)
  -- acme = {                -- automatic certificates: turns ACME mode on (restart)
  --   -- default in prod mode: Let's Encrypt production; for trials use
  --   -- https://acme-staging-v02.api.letsencrypt.org/directory
  --   directory = "https://acme-v02.api.letsencrypt.org/directory",
  --   email = "ops@example.com", -- the account's contact (expiry notices)
  --   ca_bundle = nil,      -- PEM file to trust a private ACME CA
  -- },
  -- Certificates are asked for when a function is deployed and on the first
  -- handshake for an allowed name, renewed when a third of their lifetime is
  -- left, and kept in data_dir. GET /tls/certs lists them.
}

docker = {
  socket = "/var/run/docker.sock",  -- the Docker engine (restart)
  image_prefix = "faas",            -- images built by faas are named <prefix>-<function>
  -- With backend "swarm" and more than one node: the registry ("host:port")
  -- each built image is pushed to; services pull it by digest. Without it,
  -- tasks run the manager's local image (one node only).
  -- registry = "127.0.0.1:5000",
}

-- Where service functions run (restart): "docker", containers on this
-- engine; or "swarm", Docker Swarm services through the same engine, which
-- must be a swarm manager. Each function is then a service whose tasks
-- publish its port in host mode on a port Swarm picks; faas routes to each
-- task's node address and port (never the routing mesh). No pause: idle
-- functions go to 0 replicas after scale.pause_after. Job functions always
-- run on this engine. See README "Several hosts (Docker Swarm)".
backend = "docker"

-- Hooks: optional functions faas calls to decide. Each runs with an
-- instruction budget (1 million; every step of Lua pattern matching counts,
-- so a pattern that backtracks over a long string fails in milliseconds) and
-- a 64 MiB memory cap; an error or a wrong return type is logged and treated
-- as a refusal (or as "no route" for route, as nil for scale). A hook that
-- reaches the cap fails, even if it caught the error, and its Lua state is
-- rebuilt from this file: top-level code runs again and whatever hooks kept
-- is gone. route sees
-- at most 259 bytes of the Host, 4096 of the path and 32 of the method
-- (longer ones are cut; prefix tests still work); tls_allowed is not asked
-- about names over 253 bytes, nor volume_allowed about paths over 4096
-- bytes: both refused. Helpers:
--   local faas = require "faas"
--   faas.match(host, "*.example.com")      -- true/false, also a list of patterns
--   faas.routes{ hosts = {...}, prefixes = {...} }  -- builds a route hook
--   faas.ports{ 8000, "9000-9100" }        -- a set of ports
--
-- route(host, path, method) -> function name or nil.
-- Runs before the usual <name>.<domain> routing. Custom domains and path
-- routing, for example:
--   local faas = require "faas"
--   route = faas.routes{
--     hosts = { ["api.example.org"] = "billing" },   -- a custom domain
--     prefixes = { ["/billing/"] = "billing" },       -- a path prefix
--   }
--
-- port_allowed(port) -> boolean[, reason]. Replaces reserved_ports:
--   local ok = require("faas").ports{ "10000-20000" }
--   function port_allowed(port) return ok[port] == true, "use ports 10000-20000" end
--
-- tls_allowed(host) -> boolean. Replaces allowlist:
--   function tls_allowed(host) return require("faas").match(host, "*.example.com") end
--
-- volume_allowed(host_path, container_path) -> boolean. By default a
-- volume's host side must stay under <data_dir>/volumes/<function>/:
--   function volume_allowed(host_path, container_path)
--     return host_path:sub(1, 10) == "/srv/data/"
--   end
--
-- scale(name) -> nil or a table with any of min, max, target, concurrency:
-- the function's scale defaults, before the scale table above (a function's
-- own settings still come first). A value of a wrong type or out of range,
-- or an unknown key, is logged and the answer taken as nil. The global scale
-- is either this hook or the table above; to have both, put the hook in the
-- table as its field hook:
--   scale = {
--     max = 4,
--     hook = function(name)
--       if name:sub(1, 4) == "api-" then return { min = 1, max = 8 } end
--     end,
--   }
