; Bash definitions for the codesift chunker.
; Captures: @definition.function (whole node), @name. Covers `f() { ... }`,
; `function f { ... }` and `function f() ( ... )`.

(function_definition
  name: (word) @name) @definition.function
