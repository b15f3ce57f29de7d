-- Commands are available at once; the server starts when
-- require("codesift").setup({...}) is called (see README.md).
if vim.g.loaded_codesift then
  return
end
vim.g.loaded_codesift = true

if vim.fn.has("nvim-0.7.2") ~= 1 then
  vim.notify("codesift needs Neovim 0.7.2 or later", vim.log.levels.WARN)
  return
end

require("codesift").create_commands()
