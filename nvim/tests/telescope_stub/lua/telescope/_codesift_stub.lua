-- Records what the codesift Telescope view does with the telescope modules below.
-- A stand-in for the test only: just the calls the view makes.
return { pickers = {} }
