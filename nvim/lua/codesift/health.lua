-- :checkhealth codesift: the server command, its version and models, the index folder.
local M = {}

local health = vim.health or require("health")
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local err = health.error or health.report_error
local info = health.info or health.report_info

function M.check()
  start("codesift")
  if vim.fn.has("nvim-0.8") == 0 then
    warn("Neovim 0.8 or later is recommended (0.7 works without some features)")
  else
    ok("Neovim " .. tostring(vim.version()))
  end
  local options = require("codesift.config").options
  local cmd, how = require("codesift.server_cmd").resolve(options.cmd)
  if how == "missing" then
    err("server command `codesift` not found on PATH or in pipx's bin folder", {
      "pipx install /path/to/codesift (or a codesift wheel)",
      "or setup({ cmd = { '/path/to/codesift/.venv/bin/codesift', 'serve' } })",
    })
    return
  end
  ok(string.format("server command (%s): %s", how, table.concat(cmd, " ")))
  local version = vim.fn.systemlist({ cmd[1], "--version" })
  if vim.v.shell_error ~= 0 or #version == 0 then
    err("`" .. cmd[1] .. " --version` failed: " .. table.concat(version, " "))
    return
  end
  ok(version[1])
  for i = 2, #version do
    info(version[i])
  end
  local clients = require("codesift.client").clients()
  if #clients == 0 then
    info("no codesift server running in this session (open a file under a workspace root)")
  end
  for _, client in ipairs(clients) do
    local result = require("codesift.compat").request_sync(client, "codesift/status", {}, 5000)
    local status = result and result.result
    if status and status.roots then
      for _, root in ipairs(status.roots) do
        ok(string.format("root %s: %s files, index folder %s", root.uri, root.files, root.index_dir))
      end
    else
      warn("server " .. client.id .. " did not answer codesift/status")
    end
  end
end

return M
