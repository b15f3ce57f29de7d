-- luacheck settings for the plugin (nvim/ci.sh runs it)
std = "luajit"
globals = { "vim" }
max_line_length = false
