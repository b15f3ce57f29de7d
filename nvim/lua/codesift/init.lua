-- codesift for Neovim (0.7.2 and later): starts `codesift serve` for buffers under a
-- workspace root and adds :CodeSift, :CodeSiftRelevant, :CodeSiftStatus and
-- :CodeSiftReindex. Hover ("Relevant code") is the standard vim.lsp.buf.hover().
local client_mod = require("codesift.client")
local compat = require("codesift.compat")
local config = require("codesift.config")
local quickfix = require("codesift.quickfix")
local search = require("codesift.search")

local M = {}

local function err(msg)
  vim.notify("codesift: " .. msg, vim.log.levels.ERROR)
end

local function need_client(bufnr)
  local client = client_mod.get(bufnr)
  if client == nil then
    local name = vim.api.nvim_buf_get_name(bufnr or 0)
    err(string.format(
      "no server for %s: no root marker (%s) above it and it is outside the current "
        .. "directory; open a file of your project",
      name ~= "" and name or "this buffer",
      table.concat(config.options.root_markers, ", ")
    ))
  end
  return client
end

--- Attaches codesift to a buffer now (setup() does it for every opened file).
function M.attach(bufnr)
  return client_mod.attach(bufnr)
end

function M.setup(opts)
  config.set(opts)
  local group = vim.api.nvim_create_augroup("codesift", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "qf",
    callback = function(args)
      require("codesift.why").map_quickfix(args.buf)
    end,
  })
  vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
    group = group,
    callback = function(args)
      if config.options.autostart then
        client_mod.attach(args.buf)
      end
    end,
  })
  if config.options.autostart then
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) then
        client_mod.attach(bufnr)
      end
    end
  end
  M.create_commands()
end

local function view_for(picker)
  if picker == "telescope" or (picker == "auto" and require("codesift.telescope").available()) then
    return require("codesift.telescope").view()
  end
  return quickfix.view()
end

--- Streams a search into the quickfix list or a Telescope picker.
---@param query string
---@param opts table|nil { limit, regex, paths, languages, picker }
function M.search(query, opts)
  opts = opts or {}
  if query == nil or vim.trim(query) == "" then
    err("empty query")
    return nil
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local client = need_client(bufnr)
  if client == nil then
    return nil
  end
  return search.start(client, {
    query = query,
    limit = opts.limit or config.options.limit,
    regex = opts.regex,
    paths = opts.paths,
    languages = opts.languages,
    bufnr = bufnr,
  }, view_for(opts.picker or config.options.picker))
end

--- The latest search: { query, stages_seen, snapshot, result, done, error, qf_id }.
function M.last_search()
  return search.last
end

local function line_text(bufnr, row)
  return vim.api.nvim_buf_get_lines(bufnr, row - 1, row, false)[1] or ""
end

-- The selection as an LSP range (end exclusive) and its text, for a command run
-- with a range: the visual marks when they match it, else whole lines.
local function selection(bufnr, line1, line2, encoding)
  local s = vim.api.nvim_buf_get_mark(bufnr, "<")
  local e = vim.api.nvim_buf_get_mark(bufnr, ">")
  local srow, scol, erow, ecol
  if s[1] == line1 and e[1] == line2 and vim.fn.visualmode() ~= "V" then
    srow, scol, erow, ecol = s[1], s[2], e[1], e[2]
    local last = line_text(bufnr, erow)
    if vim.o.selection ~= "exclusive" then
      local char = vim.fn.matchstr(last:sub(ecol + 1), "^.")
      ecol = ecol + math.max(#char, 1)
    end
    ecol = math.min(ecol, #last)
  else
    srow, scol, erow = line1, 0, line2
    ecol = #line_text(bufnr, line2)
  end
  local lines = vim.api.nvim_buf_get_lines(bufnr, srow - 1, erow, false)
  if #lines > 0 then
    lines[#lines] = lines[#lines]:sub(1, ecol)
    lines[1] = lines[1]:sub(scol + 1)
  end
  local text = vim.trim((table.concat(lines, " "):gsub("%s+", " ")))
  return {
    start = { line = srow - 1, character = compat.character(bufnr, srow - 1, scol, encoding) },
    ["end"] = { line = erow - 1, character = compat.character(bufnr, erow - 1, ecol, encoding) },
  }, text
end

local last_relevant = nil

-- Sends codesift.relevantCode for `range` of `bufnr` and lists the locations.
local function run_relevant(client, bufnr, range, label, list)
  if #label > 60 then
    label = label:sub(1, 57) .. "..."
  end
  local state = { label = label, range = range, done = false, list = list }
  last_relevant = state
  local winid = vim.api.nvim_get_current_win()
  client_mod.request(client, "workspace/executeCommand", {
    command = "codesift.relevantCode",
    arguments = { vim.uri_from_bufnr(bufnr), range },
  }, function(e, result)
    state.done = true
    if e then
      state.error = e
      err(e.message or vim.inspect(e))
      return
    end
    state.result = result or {}
    if #state.result == 0 then
      vim.notify("codesift: no relevant code for " .. label, vim.log.levels.INFO)
    end
    local title = "CodeSift relevant: " .. label
    if list == "loclist" and vim.api.nvim_win_is_valid(winid) then
      vim.api.nvim_win_call(winid, function()
        state.items = quickfix.set_locations(state.result, title, list)
      end)
    else
      state.items = quickfix.set_locations(state.result, title, "quickfix")
    end
  end, bufnr)
  return state
end

--- codesift.relevantCode for the symbol under the cursor, or for the selection
--- when opts.range > 0 (opts.line1/line2 as given to a :command).
---@param opts table|nil { range, line1, line2, list = "quickfix"|"loclist" }
function M.relevant(opts)
  opts = opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local client = need_client(bufnr)
  if client == nil then
    return nil
  end
  local encoding = client.offset_encoding or "utf-16"
  local range, label
  if opts.range and opts.range > 0 then
    range, label = selection(bufnr, opts.line1, opts.line2, encoding)
  else
    local cursor = vim.api.nvim_win_get_cursor(0)
    local character = compat.character(bufnr, cursor[1] - 1, cursor[2], encoding)
    local position = { line = cursor[1] - 1, character = character }
    range = { start = position, ["end"] = position }
    label = vim.fn.expand("<cword>")
  end
  return run_relevant(client, bufnr, range, label, opts.list or config.options.relevant_list)
end

--- The client-side handler of the server's code action "CodeSift: Go to relevant
--- code" (arguments [uri, range]): the same as :CodeSiftRelevant for that range.
function M.relevant_command(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local args = command.arguments or {}
  local uri, range = args[1], args[2]
  if client == nil or type(uri) ~= "string" or type(range) ~= "table" then
    return
  end
  local bufnr = vim.uri_to_bufnr(uri)
  local line = vim.api.nvim_buf_get_lines(bufnr, range.start.line, range.start.line + 1, false)[1] or ""
  local label
  if range.start.line == range["end"].line and range.start.character == range["end"].character then
    -- the identifier around the position (character offsets read as bytes: a label only)
    local at = range.start.character + 1
    local s, e = at, at - 1
    while s > 1 and line:sub(s - 1, s - 1):match("[%w_]") do
      s = s - 1
    end
    while e < #line and line:sub(e + 1, e + 1):match("[%w_]") do
      e = e + 1
    end
    label = line:sub(s, e)
  else
    label = vim.trim(line:sub(range.start.character + 1))
  end
  return run_relevant(client, bufnr, range, label ~= "" and label or "selection", config.options.relevant_list)
end

function M.last_relevant()
  return last_relevant
end

local function num(value)
  return type(value) == "number" and value or 0
end

--- A root's background embedding (codesift/status `embedding`) as text, e.g.
--- "12000/89000 chunks (running)", "89000 chunks (done)" or "off"; nil when the
--- server does not report it.
---@return string|nil
function M.format_embedding(embedding)
  if type(embedding) ~= "table" or type(embedding.state) ~= "string" then
    return nil
  end
  local state, done, total = embedding.state, embedding.done, embedding.total
  if type(done) ~= "number" or type(total) ~= "number" or total <= 0 then
    return state
  elseif state == "done" then
    return string.format("%d chunks (done)", total)
  elseif state == "too large" then
    return string.format("off: %d chunks, over rerank.background_embed_max_chunks", total)
  end
  return string.format("%d/%d chunks (%s)", done, total, state)
end

--- codesift/status as lines of text.
function M.format_status(status)
  local lines = { "codesift " .. tostring(status.version or "?") }
  for _, root in ipairs(status.roots or {}) do
    local languages = {}
    for name, count in pairs(type(root.languages) == "table" and root.languages or {}) do
      table.insert(languages, string.format("%s %d", name, num(count)))
    end
    table.sort(languages)
    table.insert(lines, string.format(
      "  %s: %s, %d files, %d chunks, %d symbols%s",
      vim.uri_to_fname(root.uri),
      root.indexing and "indexing" or "ready",
      num(root.files), num(root.chunks), num(root.symbols),
      #languages > 0 and (" (" .. table.concat(languages, ", ") .. ")") or ""
    ))
    if type(root.index_dir) == "string" then
      table.insert(lines, "    index: " .. root.index_dir)
    end
    local embedding = M.format_embedding(root.embedding)
    if embedding then
      table.insert(lines, "    embedding: " .. embedding)
    end
    if num(root.unsaved_buffers) > 0 then
      table.insert(lines, string.format("    unsaved buffers: %d", root.unsaved_buffers))
    end
    for model, failure in pairs(type(root.model_failures) == "table" and root.model_failures or {}) do
      table.insert(lines, string.format("    model %s failed: %s", model, tostring(failure)))
    end
  end
  if #(status.roots or {}) == 0 then
    table.insert(lines, "  no workspace folders")
  end
  local models = {}
  for name, id in pairs(type(status.models) == "table" and status.models or {}) do
    table.insert(models, string.format("%s (%s)", name, tostring(id)))
  end
  table.sort(models)
  if #models > 0 then
    table.insert(lines, "  models: " .. table.concat(models, ", "))
  end
  if type(status.cache_hit_rate) == "number" then
    table.insert(lines, string.format("  model cache hit rate: %.0f%%", 100 * status.cache_hit_rate))
  end
  local latency = {}
  for _, stage in ipairs({ "candidates", "light", "heavy", "total" }) do
    local l = type(status.latency_ms) == "table" and status.latency_ms[stage]
    if type(l) == "table" then
      table.insert(latency, string.format("%s %.0f ms (max %.0f, n=%d)", stage, num(l.p50), num(l.max), num(l.n)))
    end
  end
  if #latency > 0 then
    table.insert(lines, "  latency p50: " .. table.concat(latency, "; "))
  end
  return lines
end

--- Calls callback(err, status) with the codesift/status answer; without a
--- callback, prints it.
function M.status(callback)
  local client = need_client(vim.api.nvim_get_current_buf())
  if client == nil then
    if callback then
      callback({ message = "no codesift server" }, nil)
    end
    return
  end
  client_mod.request(client, "codesift/status", compat.empty_object(), function(e, result)
    if callback then
      callback(e, result)
      return
    end
    if e then
      err(e.message or vim.inspect(e))
      return
    end
    local chunks = {}
    for _, line in ipairs(M.format_status(result)) do
      table.insert(chunks, { line .. "\n" })
    end
    chunks[#chunks][1] = chunks[#chunks][1]:gsub("\n$", "")
    vim.api.nvim_echo(chunks, true, {})
  end)
end

function M.reindex()
  local client = need_client(vim.api.nvim_get_current_buf())
  if client == nil then
    return
  end
  client_mod.request(client, "codesift/reindex", compat.empty_object(), function(e)
    if e then
      err(e.message or vim.inspect(e))
    else
      vim.notify("codesift: reindexing", vim.log.levels.INFO)
    end
  end)
end

function M.create_commands()
  local create = vim.api.nvim_create_user_command
  create("CodeSift", function(args)
    local query = args.args
    if query == "" then
      query = vim.fn.input("CodeSift: ", vim.fn.expand("<cword>"))
      if query == "" then
        return
      end
    end
    M.search(query, { regex = args.bang })
  end, { nargs = "*", bang = true, desc = "codesift: search the workspace (! = regex)" })
  create("CodeSiftRelevant", function(args)
    local list = config.options.relevant_list
    if args.bang then
      list = list == "loclist" and "quickfix" or "loclist"
    end
    M.relevant({ range = args.range, line1 = args.line1, line2 = args.line2, list = list })
  end, { range = true, bang = true, desc = "codesift: code relevant to the symbol or selection" })
  create("CodeSiftStatus", function()
    M.status()
  end, { desc = "codesift: index and model status" })
  create("CodeSiftReindex", function()
    M.reindex()
  end, { desc = "codesift: index the workspace from scratch" })
end

return M
