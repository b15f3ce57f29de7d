return {
  new_table = function(opts)
    return { results = opts.results, entry_maker = opts.entry_maker }
  end,
}
