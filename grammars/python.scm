; Python definitions for the codesift chunker.
; Captures: @definition.<kind> (whole node), @name, optional @doc (docstring).
; Decorated definitions are matched through their inner function/class node.

(function_definition
  name: (identifier) @name
  body: (block
    .
    (expression_statement [(string) (concatenated_string)] @doc)?)) @definition.function

(class_definition
  name: (identifier) @name
  body: (block
    .
    (expression_statement [(string) (concatenated_string)] @doc)?)) @definition.class

; Module-level UPPER_CASE constants: `MAX = 1`, `TIMEOUT: float = 2.0`.
((module
  (expression_statement
    (assignment
      left: (identifier) @name)) @definition.constant)
  (#match? @name "^[A-Z][A-Z0-9_]*$"))

; `type Alias = ...` (Python 3.12) and its generic form `type Vec[T] = list[T]`.
(type_alias_statement
  left: (type
    [
      (identifier) @name
      (generic_type . (identifier) @name)
    ])) @definition.type
