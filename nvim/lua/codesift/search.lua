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
  M.echo_progress(token, value)
  local default = vim.lsp.handlers["$/progress"]
  if default then
    return default(err, params, ctx, cfg)
  end
end

local last_echo = 0

--- Neovim before 0.10 shows no LSP progress anywhere: indexing and embedding progress
--- go to the command line there (at most every 200 ms, and the end always).
function M.echo_progress(token, value)
  if vim.fn.has("nvim-0.10") == 1 or type(value) ~= "table" or type(token) ~= "string" then
    return
  end
  if not (token:find("^codesift%-index%-") or token:find("^codesift%-embed%-")) then
    return
  end
  local now = vim.loop.now()
  if value.kind ~= "end" and now - last_echo < 200 then
    return
  end
  last_echo = now
  local text = value.kind == "end" and (value.message or "done")
    or ((value.title and (value.title .. ": ") or "") .. (value.message or ""))
  M.last_progress_echo = "codesift: " .. text
  vim.schedule(function()
    vim.api.nvim_echo({ { M.last_progress_echo } }, false, {})
  end)
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
  require("codesift.why").remember(state)
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

-- Reasons for a skipped model stage that leave the ranking complete (the stage was
-- not wanted for this query or by the settings); any other reason (the time budget,
-- a model that failed) means it should have run.
local COMPLETE_SKIPS = {
  "^rerank%.[%w_]+ is empty",
  "^regex query",
  "^reranking switched off",
  "^early exit",
  "^fewer than two candidates",
}
local REASON_MAX = 80

local function complete_skip(reason)
  for _, pattern in ipairs(COMPLETE_SKIPS) do
    if reason:find(pattern) then
      return true
    end
  end
  return false
end

--- Why the answer is only partially ranked, from its `stages`, or nil when it is
--- fully ranked: "partially ranked: 92 unscored" (the time budget left candidates
--- unscored by a model stage) and/or "heavy stage skipped: time budget spent".
---@return string|nil
function M.ranking_summary(result)
  local stages = type(result) == "table" and type(result.stages) == "table" and result.stages or {}
  local parts, seen, unscored = {}, {}, 0
  for _, stage in ipairs(stages) do
    if stage.ran and type(stage.unscored) == "number" then
      unscored = unscored + stage.unscored
    end
  end
  if unscored > 0 then
    table.insert(parts, string.format("partially ranked: %d unscored", unscored))
  end
  for _, stage in ipairs(stages) do
    local reason = type(stage.reason) == "string" and stage.reason or ""
    if not stage.ran and not complete_skip(reason) then
      local why = reason:gsub(" before the %w+ stage$", "")
      if why == "" then
        why = "no reason given"
      elseif #why > REASON_MAX then
        why = why:sub(1, REASON_MAX - 3) .. "..."
      end
      local text = string.format("%s stage skipped: %s", tostring(stage.name), why)
      if not seen[text] then -- once, although each folder reports its own stages
        seen[text] = true
        table.insert(parts, text)
      end
    end
  end
  return #parts > 0 and table.concat(parts, ", ") or nil
end

--- "light 183 ms, heavy 95 ms" from the answer's stage report (the stages that ran).
function M.describe_stages(result)
  local parts = {}
  for _, stage in ipairs((result and result.stages) or {}) do
    if stage.ran then
      table.insert(parts, string.format("%s %.0f ms", stage.name, stage.ms or 0))
    end
  end
  return table.concat(parts, ", ")
end

--- "confidence 0.42" (or the server's note when it is low) of an answer, or nil.
function M.confidence_summary(result)
  if type(result) ~= "table" then
    return nil
  end
  if type(result.confidence_note) == "string" and result.confidence_note ~= "" then
    return result.confidence_note
  end
  if type(result.confidence) == "number" then
    return string.format("confidence %.2f", result.confidence)
  end
  return nil
end

return M
