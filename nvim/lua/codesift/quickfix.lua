-- Search results in the quickfix list: one list per search, replaced in place
-- (setqflist action "r") with every snapshot.
local config = require("codesift.config")
local search = require("codesift.search")
local why = require("codesift.why")

local M = {}

local function first_line(text)
  for line in ((text or "") .. "\n"):gmatch("([^\n]*)\n") do
    local trimmed = vim.trim(line)
    if trimmed ~= "" then
      return trimmed
    end
  end
  return ""
end
M.first_line = first_line

--- A result of codesift/search as a quickfix item: file, first line of the
--- chunk, and "symbol: first snippet line".
function M.item(result)
  local range = result.range or {}
  local start = range.start or { line = 0 }
  local stop = range["end"] or start
  local last = stop.line
  if (stop.character or 0) > 0 or last <= start.line then
    last = last + 1
  end
  local snippet = first_line(result.snippet)
  local text
  if result.symbol and result.symbol ~= vim.NIL and result.symbol ~= "" then
    text = snippet ~= "" and (result.symbol .. ": " .. snippet) or result.symbol
  else
    text = snippet ~= "" and snippet or (result.path or "")
  end
  local reason = why.summary(result)
  if reason then
    text = text .. "  [" .. reason .. "]"
  end
  return {
    filename = vim.uri_to_fname(result.uri),
    lnum = start.line + 1,
    end_lnum = last,
    col = 0,
    text = text,
  }
end

function M.items(results)
  local items = {}
  for _, result in ipairs(results or {}) do
    table.insert(items, M.item(result))
  end
  return items
end

function M.title(state, stage, count)
  local extra = string.format("%d", count)
  if stage == "final" and state.result then
    local stages = search.describe_stages(state.result)
    if stages ~= "" then
      extra = extra .. ", " .. stages
    end
    local partial = search.ranking_summary(state.result)
    if partial then
      extra = extra .. ", " .. partial
    end
    local sure = search.confidence_summary(state.result)
    if sure then
      extra = extra .. ", " .. sure
    end
  end
  return string.format("CodeSift [%s] %s (%s)", stage, state.query, extra)
end

local function list_exists(id)
  return id ~= nil and vim.fn.getqflist({ id = id }).id == id
end

local function open_window()
  if config.options.open_list then
    local win = vim.api.nvim_get_current_win()
    vim.cmd("botright copen")
    if vim.api.nvim_win_is_valid(win) then
      vim.api.nvim_set_current_win(win) -- keep the cursor where the search started
    end
  end
end

--- The :CodeSift view for the quickfix list.
function M.view()
  local view = {}

  function view.update(state, snapshot, final)
    local items = M.items(snapshot.results)
    local title = M.title(state, final and "final" or snapshot.stage, #items)
    if not list_exists(state.qf_id) then
      -- a new list for a new search (the older ones stay reachable with :colder)
      vim.fn.setqflist({}, " ", { title = title, items = items, context = { codesift = state.token } })
      state.qf_id = vim.fn.getqflist({ id = 0 }).id
      open_window()
    else
      -- every later snapshot REPLACES the list, it never appends
      vim.fn.setqflist({}, "r", { id = state.qf_id, title = title, items = items })
    end
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      local buf = vim.api.nvim_win_get_buf(win)
      if vim.bo[buf].buftype == "quickfix" and vim.fn.getwininfo(win)[1].loclist == 0
        and vim.fn.getqflist({ id = 0 }).id == state.qf_id then
        why.highlight_list(win, snapshot.results)
      end
    end
    if final and #items == 0 then
      vim.notify("codesift: no results for " .. state.query, vim.log.levels.INFO)
    elseif final and type(snapshot.confidence_note) == "string" then
      vim.notify("codesift: " .. snapshot.confidence_note, vim.log.levels.INFO)
    end
  end

  function view.failed(_, err)
    vim.notify("codesift: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
  end

  return view
end

--- Locations ({uri, range}) from codesift.relevantCode into the quickfix or the
--- window's location list, in the server's order.
function M.set_locations(locations, title, list)
  local items = {}
  for _, loc in ipairs(locations or {}) do
    local fname = vim.uri_to_fname(loc.uri)
    local lnum = loc.range.start.line + 1
    local text = ""
    local bufnr = vim.fn.bufnr(fname)
    if bufnr ~= -1 and vim.api.nvim_buf_is_loaded(bufnr) then
      text = vim.api.nvim_buf_get_lines(bufnr, lnum - 1, lnum, false)[1] or ""
    elseif vim.fn.filereadable(fname) == 1 then
      text = vim.fn.readfile(fname, "", lnum)[lnum] or ""
    end
    table.insert(items, { filename = fname, lnum = lnum, col = 0, text = vim.trim(text) })
  end
  if list == "loclist" then
    vim.fn.setloclist(0, {}, " ", { title = title, items = items })
    if config.options.open_list and #items > 0 then
      local win = vim.api.nvim_get_current_win()
      vim.cmd("lopen")
      vim.api.nvim_set_current_win(win)
    end
  else
    vim.fn.setqflist({}, " ", { title = title, items = items })
    if #items > 0 then
      open_window()
    end
  end
  return items
end

return M
