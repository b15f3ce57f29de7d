; Definitions shared by JavaScript and TypeScript (and TSX): not a language of
; its own. javascript.scm and typescript.scm inherit it (`; inherits:
; js_common`), so every pattern here must compile against the JavaScript,
; TypeScript and TSX grammars and capture the same nodes in all three; patterns
; that need node types or names of one grammar only (class names are an
; identifier in JavaScript but a type_identifier in TypeScript; field_definition
; vs public_field_definition; the constant value kinds and the `require(...)`
; exclusion) stay in that file.
; Captures: @definition.<kind> (whole node), @name; exported declarations are
; matched through the inner declaration node.

(function_declaration
  name: (identifier) @name) @definition.function

(generator_function_declaration
  name: (identifier) @name) @definition.function

(method_definition
  name: (_) @name) @definition.method

; `const f = () => ...`, `let g = function () {}`, `var h = function* () {}`:
; the whole declaration is the definition (first declarator only, so a node
; never matches twice).
(lexical_declaration
  .
  (variable_declarator
    name: (identifier) @name
    value: [(arrow_function) (function_expression) (generator_function)])) @definition.function

(variable_declaration
  .
  (variable_declarator
    name: (identifier) @name
    value: [(arrow_function) (function_expression) (generator_function)])) @definition.function

; `const C = class {}`
(lexical_declaration
  .
  (variable_declarator
    name: (identifier) @name
    value: (class))) @definition.class

; Top-level `Foo.prototype.bar = function () {}` / `module.exports.x = () => {}`.
(program
  (expression_statement
    (assignment_expression
      left: (member_expression
        property: (property_identifier) @name)
      right: [(arrow_function) (function_expression) (generator_function)])) @definition.function)
