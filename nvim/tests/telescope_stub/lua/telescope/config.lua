return { values = { grep_previewer = function() return {} end } }
