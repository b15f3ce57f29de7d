local Sorter = {}
Sorter.__index = Sorter
function Sorter.new(_, opts)
  return setmetatable({ scoring_function = opts.scoring_function }, Sorter)
end
return { Sorter = Sorter }
