local M = {}

M.defaults = {
  -- The server command. Point it at the repository's virtual environment, e.g.
  -- { "/path/to/codesift/.venv/bin/codesift", "serve" }.
  cmd = { "codesift", "serve" },
  -- Extra environment for the server process.
  cmd_env = nil,
  -- A buffer's workspace root: the first of these markers found upward from the
  -- file, in this order of priority. Buffers with no root are left alone.
  root_markers = { "codesift.toml", ".git", ".hg", ".svn" },
  -- Overrides root_markers: a fixed folder, or function(path, bufnr) -> folder|nil.
  root_dir = nil,
  -- Sent as `initializationOptions`: the keys of codesift.toml
  -- (docs/CONFIGURATION.md), e.g. { rerank = { light_keep = 30 } }.
  settings = {},
  -- Start the server and attach when a file under a root is opened.
  autostart = true,
  -- Results of :CodeSift ("auto": Telescope when it is installed, else quickfix).
  picker = "auto", -- "auto" | "telescope" | "quickfix"
  -- Results per snapshot (1..200).
  limit = 20,
  -- Open the quickfix window when results arrive.
  open_list = true,
  -- Where :CodeSiftRelevant puts its locations ("quickfix" or "loclist");
  -- :CodeSiftRelevant! uses the other one.
  relevant_list = "quickfix",
  -- Passed through to the LSP client.
  capabilities = nil,
  on_attach = nil,
  on_init = nil,
  on_exit = nil,
}

M.options = vim.deepcopy(M.defaults)

function M.set(opts)
  opts = opts or {}
  local merged = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts)
  -- lists replace the defaults instead of merging index by index
  for _, key in ipairs({ "cmd", "root_markers" }) do
    if opts[key] ~= nil then
      merged[key] = opts[key]
    end
  end
  if opts.settings ~= nil then
    merged.settings = opts.settings
  end
  for _, check in ipairs({
    { "cmd", "table" },
    { "root_markers", "table" },
    { "settings", "table" },
    { "limit", "number" },
    { "picker", "string" },
    { "relevant_list", "string" },
  }) do
    local value = merged[check[1]]
    if type(value) ~= check[2] then
      error(string.format("codesift.setup: %s must be a %s, not %s", check[1], check[2], type(value)), 3)
    end
  end
  M.options = merged
  return merged
end

return M
