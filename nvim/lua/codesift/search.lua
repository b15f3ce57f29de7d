-- codesift/search with streamed ranking snapshots.
--
-- The server sends a COMPLETE ranking on the request's partialResultToken after
-- each stage (candidates, light, final): a view replaces its list with every
-- snapshot, it never appends. The answer to the request is the final snapshot
-- plus the report of which stages ran.
local client_mod = require("codesift.client")
local compat = require("codesift.compat")

local M = {}

local TOKEN_PREFIX = "codesift-search-"
local counter = 0
local active = {} -- token -> search state
M.last = nil -- the latest search state (for status lines and tests)

local function is_snapshot(value)
  return type(value) == "table" and value.kind == nil and value.stage ~= nil
end

--- The client's `$/progress` handler: snapshots on a search token go to that
--- search's view; begin/report/end progress (indexing, work done) goes to the
--- default handler.
function M.progress_handler(err, params, ctx, cfg)
  local value = params and params.value
  local token = params and params.token
  if is_snapshot(value) then
    local state = active[token]
    if state then
      M._snapshot(state, value)
      return
    end
    if type(token) == "string" and token:sub(1, #TOKEN_PREFIX) == TOKEN_PREFIX then
      return -- a late snapshot of a search that was answered or replaced
    end
  end
  local default = vim.lsp.handlers["$/progress"]
  if default then
    return default(err, params, ctx, cfg)
  end
end

local function finish(state)
  if active[state.token] == state then
    active[state.token] = nil
  end
end

function M._snapshot(state, value)
  if state.done or state.cancelled then
    return
  end
  table.insert(state.stages_seen, value.stage)
  state.snapshot = value
  local ok, msg = pcall(state.view.update, state, value, false)
  if not ok then
    vim.notify("codesift: " .. tostring(msg), vim.log.levels.ERROR)
  end
end

--- Stops following a search (and asks the server to stop it).
function M.cancel(state)
  if state == nil or state.done or state.cancelled then
    return
  end
  state.cancelled = true
  finish(state)
  if state.sent and state.sent.id then
    pcall(compat.cancel_request, state.client, state.sent.id)
  end
end

--- Starts a search. `view` has update(state, snapshot, final) and
--- failed(state, err); both are called on the main loop.
---@param opts table { query, limit?, regex?, paths?, languages?, bufnr? }
function M.start(client, opts, view)
  if M.last and not M.last.done then
    -- the server answers the older search with RequestCancelled; stop showing it
    M.last.cancelled = true
    finish(M.last)
  end
  counter = counter + 1
  local state = {
    token = TOKEN_PREFIX .. counter,
    query = opts.query,
    client = client,
    view = view,
    stages_seen = {}, -- snapshot stages in the order they arrived
    snapshot = nil, -- the latest snapshot
    result = nil, -- the final answer
    done = false,
    started = compat.uv.hrtime(),
  }
  active[state.token] = state
  M.last = state
  local params = {
    query = opts.query,
    limit = opts.limit,
    partialResultToken = state.token,
  }
  if opts.regex then
    params.regex = true
  end
  if opts.paths and #opts.paths > 0 then
    params.paths = opts.paths
  end
  if opts.languages and #opts.languages > 0 then
    params.languages = opts.languages
  end
  if view.start then
    view.start(state)
  end
  state.sent = client_mod.request(client, "codesift/search", params, function(err, result)
    if state.cancelled then
      return
    end
    finish(state)
    state.done = true
    state.elapsed_ms = (compat.uv.hrtime() - state.started) / 1e6
    if err then
      state.error = err
      view.failed(state, err)
      return
    end
    state.result = result
    state.snapshot = result
    view.update(state, result, true)
  end, opts.bufnr)
  return state
end

--- "light 183 ms, heavy skipped (reason)" from the answer's stage report.
function M.describe_stages(result)
  local parts = {}
  for _, stage in ipairs((result and result.stages) or {}) do
    if stage.ran then
      table.insert(parts, string.format("%s %.0f ms", stage.name, stage.ms or 0))
    end
  end
  return table.concat(parts, ", ")
end

return M
