-- The few places where Neovim's LSP client API changed between 0.7 and today.
-- Everything else in the plugin goes through these helpers.
local M = {}

local lsp = vim.lsp
local uv = vim.loop or vim.uv

--- 0.8+ has vim.lsp.start (find-or-start a client, then attach the buffer).
M.has_lsp_start = type(lsp.start) == "function"

--- 0.11 made the client's functions methods (client:request); the dot form warns.
M.method_calls = vim.fn.has("nvim-0.11") == 1

M.uv = uv

---@return boolean
function M.has(version)
  return vim.fn.has("nvim-" .. version) == 1
end

function M.request(client, method, params, handler, bufnr)
  if M.method_calls then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.request_sync(client, method, params, timeout)
  if M.method_calls then
    return client:request_sync(method, params, timeout)
  end
  return client.request_sync(method, params, timeout)
end

function M.notify(client, method, params)
  if M.method_calls then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

function M.cancel_request(client, id)
  if M.method_calls then
    return client:cancel_request(id)
  end
  return client.cancel_request(id)
end

function M.is_stopped(client)
  if M.method_calls then
    return client:is_stopped()
  end
  return client.is_stopped()
end

function M.stop_client(client)
  if M.method_calls then
    return client:stop()
  end
  return client.stop()
end

--- Byte column -> LSP character offset in the client's encoding, clamped to the line.
function M.character(bufnr, row0, bytecol, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, row0, row0 + 1, false)[1] or ""
  if bytecol > #line then
    bytecol = #line
  end
  if bytecol <= 0 or encoding == "utf-8" then
    return math.max(bytecol, 0)
  end
  local ok, value = pcall(lsp.util.character_offset, bufnr, row0, bytecol, encoding)
  if ok and type(value) == "number" then
    return value
  end
  return bytecol
end

--- An empty JSON object (a plain {} is sent as an empty array).
function M.empty_object()
  return vim.empty_dict()
end

return M
