; inherits: js_common
; JavaScript definitions for the codesift chunker: the patterns shared with
; TypeScript come from js_common.scm; this file adds the JavaScript-only ones.
; Captures: @definition.<kind> (whole node), @name; exported declarations are
; matched through the inner declaration node.

(class_declaration
  name: (identifier) @name) @definition.class

; Class fields holding a function: `handleClick = () => {}`.
(field_definition
  property: [(property_identifier) (private_property_identifier)] @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function

; Top-level `const NAME = <non-function value>` (plain or exported), except
; `const x = require(...)` imports.
((program
  [
    (lexical_declaration
      "const"
      .
      (variable_declarator
        name: (identifier) @name
        value: [
          (array) (await_expression) (binary_expression) (call_expression)
          (false) (identifier) (member_expression) (new_expression) (null)
          (number) (object) (parenthesized_expression) (regex) (string)
          (subscript_expression) (template_string) (ternary_expression)
          (true) (unary_expression) (undefined)
        ])) @definition.constant
    (export_statement
      declaration: (lexical_declaration
        "const"
        .
        (variable_declarator
          name: (identifier) @name
          value: [
            (array) (await_expression) (binary_expression) (call_expression)
            (false) (identifier) (member_expression) (new_expression) (null)
            (number) (object) (parenthesized_expression) (regex) (string)
            (subscript_expression) (template_string) (ternary_expression)
            (true) (unary_expression) (undefined)
          ])) @definition.constant)
  ])
  (#not-match? @definition.constant "^const\\s+[A-Za-z_$][A-Za-z0-9_$]*\\s*=\\s*require\\s*\\("))
