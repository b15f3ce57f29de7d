local record = require("telescope._codesift_stub")
local M = {}

function M.new(opts, spec)
  local picker = { opts = opts, spec = spec, finder = spec.finder, refreshes = {}, found = false }
  picker.layout = {
    results = {
      border = {
        change_title = function(_, title)
          picker.title = title
        end,
      },
    },
  }
  function picker:find()
    self.found = true
    self.prompt_bufnr = vim.api.nvim_create_buf(false, true)
  end
  function picker:refresh(finder, refresh_opts)
    assert(refresh_opts and refresh_opts.reset_prompt == false, "refresh keeps the prompt")
    self.finder = finder
    local entries = {}
    for _, item in ipairs(finder.results) do
      local entry = finder.entry_maker(item)
      assert(self.spec.sorter.scoring_function(self.spec.sorter, "", entry.ordinal, entry) == entry.index)
      table.insert(entries, entry)
    end
    table.insert(self.refreshes, entries)
  end
  table.insert(record.pickers, picker)
  return picker
end

return M
