; inherits: js_common
; TypeScript definitions for the codesift chunker (tsx.scm inherits this file,
; so the same patterns are compiled against the TSX grammar). The patterns
; shared with JavaScript come from js_common.scm; this file adds the
; TypeScript-only ones.
; Captures: @definition.<kind> (whole node), @name; exported / `declare`d
; declarations are matched through the inner declaration node.

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

; Method signatures in interfaces and abstract classes.
(method_signature
  name: (_) @name) @definition.method

(abstract_method_signature
  name: (_) @name) @definition.method

; Class fields holding a function: `handleClick = () => {}`.
(public_field_definition
  name: [(property_identifier) (private_property_identifier)] @name
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
