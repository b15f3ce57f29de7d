; PHP definitions for the codesift chunker.
; Captures: @definition.<kind> (whole node), @name.
; Namespaces are modules only in their block form `namespace Foo { ... }`.

(function_definition
  name: (name) @name) @definition.function

(class_declaration
  name: (name) @name) @definition.class

(interface_declaration
  name: (name) @name) @definition.interface

(trait_declaration
  name: (name) @name) @definition.trait

(enum_declaration
  name: (name) @name) @definition.enum

(method_declaration
  name: (name) @name) @definition.method

(namespace_definition
  name: (namespace_name) @name
  body: (compound_statement)) @definition.module

; `const A = 1;` at top level or in a class/interface/enum; the first element
; names the definition (`const A = 1, B = 2;` -> A).
(const_declaration
  "const"
  .
  (const_element
    .
    (name) @name)) @definition.constant

; Typed class constants (PHP 8.3): `const int A = 1;`
(const_declaration
  type: (_)
  .
  (const_element
    .
    (name) @name)) @definition.constant
