; TypeScript definitions for the codesift chunker (tsx.scm carries the same
; patterns compiled against the TSX grammar).
; Captures: @definition.<kind> (whole node), @name; exported / `declare`d
; declarations are matched through the inner declaration node.

(function_declaration
  name: (identifier) @name) @definition.function

(generator_function_declaration
  name: (identifier) @name) @definition.function

; `declare function f(): void;` and overload signatures.
(function_signature
  name: (identifier) @name) @definition.function

(class_declaration
  name: (type_identifier) @name) @definition.class

(abstract_class_declaration
  name: (type_identifier) @name) @definition.class

(interface_declaration
  name: (type_identifier) @name) @definition.interface

(type_alias_declaration
  name: (type_identifier) @name) @definition.type

(enum_declaration
  name: (identifier) @name) @definition.enum

; `namespace Foo {}` and `declare module "foo" {}`.
(internal_module
  name: [(identifier) (nested_identifier)] @name) @definition.module

(module
  name: [
    (identifier) @name
    (nested_identifier) @name
    (string (string_fragment) @name)
  ]) @definition.module

(method_definition
  name: (_) @name) @definition.method

; Method signatures in interfaces and abstract classes.
(method_signature
  name: (_) @name) @definition.method

(abstract_method_signature
  name: (_) @name) @definition.method

; Class fields holding a function: `handleClick = () => {}`.
(public_field_definition
  name: [(property_identifier) (private_property_identifier)] @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function

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
          (array) (as_expression) (await_expression) (binary_expression)
          (call_expression) (false) (identifier) (member_expression)
          (new_expression) (non_null_expression) (null) (number) (object)
          (parenthesized_expression) (regex) (satisfies_expression) (string)
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
            (array) (as_expression) (await_expression) (binary_expression)
            (call_expression) (false) (identifier) (member_expression)
            (new_expression) (non_null_expression) (null) (number) (object)
            (parenthesized_expression) (regex) (satisfies_expression) (string)
            (subscript_expression) (template_string) (ternary_expression)
            (true) (unary_expression) (undefined)
          ])) @definition.constant)
  ])
  (#not-match? @definition.constant "^const\\s+[A-Za-z_$][A-Za-z0-9_$]*\\s*(:[^=]*)?=\\s*require\\s*\\("))
