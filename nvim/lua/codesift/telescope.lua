-- Search results in a Telescope picker whose list is swapped for each ranking
-- snapshot (picker:refresh with a new finder; the prompt filters within it).
local quickfix = require("codesift.quickfix")
local search = require("codesift.search")
local why = require("codesift.why")

local M = {}

function M.available()
  return (pcall(require, "telescope.pickers"))
end

local function entry_maker(item)
  local path = vim.fn.fnamemodify(item.filename, ":~:.")
  local line = string.format("%s:%d: %s", path, item.lnum, item.text)
  return {
    value = item,
    display = line,
    ordinal = line,
    filename = item.filename,
    lnum = item.lnum,
    col = 1,
    index = item.index,
  }
end

local function finder(items)
  local finders = require("telescope.finders")
  return finders.new_table({ results = items, entry_maker = entry_maker })
end

--- Keeps the server's order; a prompt only filters (case-insensitive substring).
local function rank_sorter()
  local sorters = require("telescope.sorters")
  return sorters.Sorter:new({
    scoring_function = function(_, prompt, line, entry)
      local rank = (entry and entry.index) or 1
      if prompt == nil or prompt == "" then
        return rank
      end
      if line and line:lower():find(prompt:lower(), 1, true) then
        return rank
      end
      return -1
    end,
  })
end

local function set_title(picker, title)
  pcall(function()
    if picker.layout and picker.layout.results and picker.layout.results.border then
      picker.layout.results.border:change_title(title)
    elseif picker.results_border then
      picker.results_border:change_title(title)
    end
  end)
end

local function picker_open(picker)
  return picker ~= nil
    and picker.prompt_bufnr ~= nil
    and vim.api.nvim_buf_is_valid(picker.prompt_bufnr)
end

function M.view(opts)
  opts = opts or {}
  local view = {}

  function view.start(state)
    local pickers = require("telescope.pickers")
    local conf = require("telescope.config").values
    state.picker = pickers.new(opts, {
      prompt_title = "CodeSift: " .. state.query,
      results_title = "searching...",
      finder = finder({}),
      sorter = rank_sorter(),
      previewer = conf.grep_previewer(opts),
      attach_mappings = function()
        -- after Telescope opens the pick: report its rank, highlight the query's words
        local ok, actions = pcall(require, "telescope.actions")
        local ok_state, action_state = pcall(require, "telescope.actions.state")
        if ok and ok_state then
          actions.select_default:enhance({
            post = function()
              local entry = action_state.get_selected_entry()
              if entry and entry.index then
                why.opened(state, entry.index)
              end
            end,
          })
        end
        return true
      end,
    })
    state.picker:find()
  end

  function view.update(state, snapshot, final)
    local picker = state.picker
    if not picker_open(picker) then
      search.cancel(state) -- the picker was closed: stop following the search
      return
    end
    local items = quickfix.items(snapshot.results)
    for i, item in ipairs(items) do
      item.index = i
    end
    picker:refresh(finder(items), { reset_prompt = false })
    set_title(picker, quickfix.title(state, final and "final" or snapshot.stage, #items))
  end

  function view.failed(state, err)
    set_title(state.picker, "error")
    vim.notify("codesift: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
  end

  return view
end

return M
