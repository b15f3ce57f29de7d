-- Where the server command comes from: the configured one, or `codesift` found on
-- PATH or in pipx's default bin folder ($PIPX_BIN_DIR, else ~/.local/bin), so that
-- `pipx install codesift` is enough without setting `cmd`.
local M = {}

local function pipx_candidates()
  local out = {}
  local bin = os.getenv("PIPX_BIN_DIR")
  if bin and bin ~= "" then
    table.insert(out, bin .. "/codesift")
  end
  table.insert(out, vim.fn.expand("~/.local/bin/codesift"))
  return out
end

-- The command to start, and how it was found ("configured", "PATH", "pipx", or
-- "missing" when the default `codesift` is nowhere to be found).
function M.resolve(cmd)
  if cmd[1] ~= "codesift" then
    return cmd, "configured"
  end
  if vim.fn.executable("codesift") == 1 then
    return cmd, "PATH"
  end
  for _, path in ipairs(pipx_candidates()) do
    if vim.fn.executable(path) == 1 then
      local resolved = vim.deepcopy(cmd)
      resolved[1] = path
      return resolved, "pipx"
    end
  end
  return cmd, "missing"
end

return M
