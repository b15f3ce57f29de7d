-- Starting the server and attaching buffers: one `codesift serve` per workspace root.
local compat = require("codesift.compat")
local config = require("codesift.config")

local M = {}

M.name = "codesift"

local by_root = {} -- root -> client id (for Neovim 0.7, where vim.lsp.start is missing)
local known = {} -- ids of the clients this plugin started
local ready = {} -- client id -> true once `initialize` has been answered
local waiting = {} -- client id -> functions to run once it is

local function stat(path)
  return compat.uv.fs_stat(path)
end

local function normalize(path)
  path = vim.fn.fnamemodify(path, ":p")
  if #path > 1 then
    path = path:gsub("/+$", "")
  end
  return path
end

local function parent(dir)
  local up = vim.fn.fnamemodify(dir, ":h")
  if up == dir then
    return nil
  end
  return up
end

--- The workspace root of `path`: markers in priority order, each looked for upward
--- from the file's folder (the same rule as vim.fs.root).
---@return string|nil
function M.find_root(path, markers)
  if path == nil or path == "" then
    return nil
  end
  path = normalize(path)
  local start = path
  local st = stat(path)
  if not (st and st.type == "directory") then
    start = vim.fn.fnamemodify(path, ":h")
  end
  for _, marker in ipairs(markers) do
    local dir = start
    while dir do
      if stat(dir .. "/" .. marker) then
        return dir
      end
      dir = parent(dir)
    end
  end
  return nil
end

local told_fallback = {}

--- No root marker above the file: the current directory, when the file is inside it,
--- as other LSP setups do (said once per directory).
function M.cwd_fallback(name)
  local cwd = normalize(vim.fn.getcwd())
  local file = normalize(name)
  if file:sub(1, #cwd + 1) ~= cwd .. "/" then
    return nil
  end
  if not told_fallback[cwd] then
    told_fallback[cwd] = true
    vim.notify(string.format("codesift: no root marker (%s) above %s; using the current directory %s",
      table.concat(config.options.root_markers, ", "), vim.fn.fnamemodify(file, ":~:."), cwd),
      vim.log.levels.INFO)
  end
  return cwd
end

--- The root for a buffer, or nil when codesift should leave it alone.
function M.root_for_buffer(bufnr)
  local opts = config.options
  if vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or name:match("^%a[%w+.-]*://") then
    return nil -- unnamed buffers and URIs (fugitive://, term://, ...)
  end
  local root
  if type(opts.root_dir) == "function" then
    root = opts.root_dir(name, bufnr)
  elseif type(opts.root_dir) == "string" then
    root = opts.root_dir
  else
    root = M.find_root(name, opts.root_markers)
    if root == nil then
      root = M.cwd_fallback(name)
    end
  end
  if root == nil or root == "" then
    return nil
  end
  root = normalize(root)
  local file = normalize(name)
  if file ~= root and file:sub(1, #root + 1) ~= root .. "/" then
    return nil -- only buffers under the workspace root
  end
  return root
end

local function on_init(client)
  ready[client.id] = true
  local queued = waiting[client.id] or {}
  waiting[client.id] = nil
  for _, fn in ipairs(queued) do
    fn(client)
  end
end

local function on_exit(_, _, client_id)
  ready[client_id] = nil
  waiting[client_id] = nil
  known[client_id] = nil
  for root, id in pairs(by_root) do
    if id == client_id then
      by_root[root] = nil
    end
  end
end

function M.client_config(root)
  local opts = config.options
  local settings = opts.settings
  if settings == nil or next(settings) == nil then
    settings = compat.empty_object()
  end
  return {
    name = M.name,
    cmd = require("codesift.server_cmd").resolve(opts.cmd),
    cmd_env = opts.cmd_env,
    root_dir = root,
    workspace_folders = {
      { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") },
    },
    init_options = settings,
    capabilities = opts.capabilities or vim.lsp.protocol.make_client_capabilities(),
    handlers = { ["$/progress"] = require("codesift.search").progress_handler },
    -- the code action's command runs here, so its locations reach a list
    commands = {
      ["codesift.relevantCode"] = function(command, ctx)
        require("codesift").relevant_command(command, ctx)
      end,
    },
    on_init = function(client)
      on_init(client)
      if opts.on_init then
        opts.on_init(client)
      end
    end,
    on_exit = function(code, signal, client_id)
      on_exit(code, signal, client_id)
      if opts.on_exit then
        opts.on_exit(code, signal, client_id)
      end
    end,
    on_attach = opts.on_attach,
  }
end

--- Starts the server for the buffer's root (or reuses the running one) and attaches
--- the buffer. Returns the client id, or nil when the buffer is outside any root.
function M.attach(bufnr)
  if bufnr == nil or bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  local root = M.root_for_buffer(bufnr)
  if root == nil then
    return nil
  end
  local cfg = M.client_config(root)
  if compat.has_lsp_start then
    local id
    -- run in the buffer: 0.8's vim.lsp.start always attaches the current buffer
    vim.api.nvim_buf_call(bufnr, function()
      id = vim.lsp.start(cfg, { bufnr = bufnr })
    end)
    if id then
      known[id] = true
    end
    return id
  end
  local id = by_root[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if client == nil or compat.is_stopped(client) then
    id = vim.lsp.start_client(cfg)
    if id == nil then
      return nil
    end
    by_root[root] = id
    known[id] = true
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- The running codesift clients (initialized or not), oldest first; with bufnr,
--- only those attached to that buffer.
function M.clients(bufnr)
  local found = {}
  for id in pairs(known) do
    local client = vim.lsp.get_client_by_id(id)
    if client == nil or compat.is_stopped(client) then
      known[id] = nil
    elseif bufnr == nil or vim.lsp.buf_is_attached(bufnr, id) then
      table.insert(found, client)
    end
  end
  table.sort(found, function(a, b)
    return a.id < b.id
  end)
  return found
end

--- The codesift client for a buffer: the one attached to it, or else the only
--- (or first) one running.
function M.get(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local attached = M.clients(bufnr)
  if attached[1] then
    return attached[1]
  end
  if config.options.autostart ~= false and M.attach(bufnr) then
    attached = M.clients(bufnr)
    if attached[1] then
      return attached[1]
    end
  end
  return M.clients()[1]
end

function M.is_ready(client)
  return ready[client.id] == true
end

--- Runs fn(client) once the client has finished `initialize`.
function M.when_ready(client, fn)
  if ready[client.id] or client.initialized then
    ready[client.id] = true
    fn(client)
    return
  end
  waiting[client.id] = waiting[client.id] or {}
  table.insert(waiting[client.id], fn)
end

--- Sends a request once the client is ready; the handler gets (err, result).
function M.request(client, method, params, handler, bufnr)
  local sent = { id = nil }
  M.when_ready(client, function()
    local ok, id = compat.request(client, method, params, function(err, result)
      handler(err, result)
    end, bufnr)
    if ok then
      sent.id = id
    else
      handler({ code = -32803, message = "codesift: the server has stopped" }, nil)
    end
  end)
  return sent
end

return M
