-- Why a result is there, and what the user opened: the result's reason for lists
-- ("keyword #3 -> light #1 -> heavy #1"), the query's words highlighted in the file a
-- result opens (CodeSiftMatch, linked to Search), and codesift/opened with the rank
-- picked, for the server's local search log (`codesift stats`).
local compat = require("codesift.compat")

local M = {}

M.ns = vim.api.nvim_create_namespace("codesift_matches")
vim.cmd("highlight default link CodeSiftMatch Search")

local searches = {} -- token -> search state, for lists picked from later
local order = {}
local KEEP = 20

function M.remember(state)
  searches[state.token] = state
  table.insert(order, state.token)
  if #order > KEEP then
    searches[table.remove(order, 1)] = nil
  end
end

function M.search_for(token)
  return token and searches[token] or nil
end

--- The byte columns [s, e) of match `m` in `line` (its offsets are characters), or nil
--- (no such line, or offsets past it).
local function byte_span(line, m)
  if line == nil then
    return nil
  end
  local s, e = vim.fn.byteidxcomp(line, m.start), vim.fn.byteidxcomp(line, m["end"])
  if s >= 0 and e > s then
    return s, e
  end
  return nil
end

--- The result's reason, or nil from an older server.
function M.summary(result)
  local why = type(result) == "table" and result.why or nil
  if type(why) == "table" and type(why.summary) == "string" and why.summary ~= "" then
    return why.summary
  end
  return nil
end

--- Highlights the query's words of `result` in `bufnr` (the result's file); returns
--- how many. Offsets are characters; Neovim wants bytes.
function M.highlight(bufnr, result)
  vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  local why = type(result) == "table" and result.why or nil
  if type(why) ~= "table" or type(why.matched) ~= "table" then
    return 0
  end
  local first = result.range.start.line
  local count = 0
  for _, m in ipairs(why.matched) do
    local row = first + m.line
    local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1]
    local s, e = byte_span(line, m)
    if s ~= nil then
      vim.api.nvim_buf_set_extmark(bufnr, M.ns, row, s, { end_col = e, hl_group = "CodeSiftMatch" })
      count = count + 1
    end
  end
  return count
end

--- The words of the query as they appear in the results' snippets ("parse", "Header").
function M.matched_words(results)
  local seen, words = {}, {}
  for _, result in ipairs(results or {}) do
    local why = type(result) == "table" and result.why or nil
    if type(why) == "table" and type(why.matched) == "table" and type(result.snippet) == "string" then
      local lines = vim.split(result.snippet, "\n", { plain = true })
      for _, m in ipairs(why.matched) do
        local line = lines[m.line + 1]
        local s, e = byte_span(line, m)
        local word = s ~= nil and line:sub(s + 1, e) or ""
        if #word >= 2 and not seen[word:lower()] then
          seen[word:lower()] = true
          table.insert(words, word)
        end
      end
    end
  end
  return words
end

--- Highlights the matched words in the quickfix window `win` (one match per window,
--- replaced with each snapshot).
function M.highlight_list(win, results)
  if not vim.api.nvim_win_is_valid(win) then
    return
  end
  local old = vim.w[win].codesift_match
  if old then
    pcall(vim.fn.matchdelete, old, win)
    vim.w[win].codesift_match = nil
  end
  local words = M.matched_words(results)
  if #words == 0 then
    return
  end
  local escaped = {}
  for _, word in ipairs(words) do
    table.insert(escaped, (word:gsub("\\", "\\\\")))
  end
  -- only in the entry's text, after "file|lines|" (the file name holds query words too)
  local pattern = "\\c\\(^[^|]*|[^|]*|.*\\)\\@<=\\V\\(" .. table.concat(escaped, "\\|") .. "\\)"
  vim.w[win].codesift_match = vim.fn.matchadd("CodeSiftMatch", pattern, 10, -1, { window = win })
end

--- The results the user sees for a search: the answer, else the latest snapshot.
local function shown(state)
  local snapshot = state.result or state.snapshot
  return snapshot and snapshot.results or {}
end

--- The user opened the result at `rank` (1-based) of `state`, now in the current
--- buffer: tell the server and highlight the query's words.
function M.opened(state, rank)
  local result = shown(state)[rank]
  if result == nil then
    return
  end
  if type(result.search_id) == "number" and state.client and not compat.is_stopped(state.client) then
    pcall(compat.notify, state.client, "codesift/opened",
      { searchId = result.search_id, uri = result.uri, rank = rank })
  end
  local bufnr = vim.api.nvim_get_current_buf()
  if vim.uri_from_bufnr(bufnr) == result.uri then
    M.highlight(bufnr, result)
  end
end

--- <CR> in a quickfix window: for a codesift list, jump and report the pick; any
--- other list jumps as usual.
function M.quickfix_enter()
  local loclist = vim.fn.getwininfo(vim.api.nvim_get_current_win())[1].loclist == 1
  local index = vim.fn.line(".")
  local context = (loclist and vim.fn.getloclist(0, { context = 1 }) or vim.fn.getqflist({ context = 1 })).context
  vim.cmd(index .. (loclist and "ll" or "cc"))
  local state = type(context) == "table" and M.search_for(context.codesift) or nil
  if state ~= nil then
    M.opened(state, index)
  end
end

--- Maps <CR> in quickfix windows (once per buffer).
function M.map_quickfix(bufnr)
  vim.api.nvim_buf_set_keymap(bufnr, "n", "<CR>", "", {
    noremap = true,
    silent = true,
    callback = M.quickfix_enter,
    desc = "codesift: open the result and report it",
  })
end

return M
