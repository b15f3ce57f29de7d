; Java definitions for the codesift chunker.
; Captures: @definition.<kind> (whole node), @name.

(class_declaration
  name: (identifier) @name) @definition.class

(record_declaration
  name: (identifier) @name) @definition.class

(interface_declaration
  name: (identifier) @name) @definition.interface

(annotation_type_declaration
  name: (identifier) @name) @definition.interface

(enum_declaration
  name: (identifier) @name) @definition.enum

(method_declaration
  name: (identifier) @name) @definition.method

(constructor_declaration
  name: (identifier) @name) @definition.method

; Record compact constructors: `record R(int a) { R { ... } }`.
(compact_constructor_declaration
  name: (identifier) @name) @definition.method

; `static final` fields (either modifier order) and interface constants; the
; first declarator names the definition (`int A = 1, B = 2;` -> A).
(field_declaration
  (modifiers "static" "final")
  type: (_)
  .
  declarator: (variable_declarator
    name: (identifier) @name)) @definition.constant

(field_declaration
  (modifiers "final" "static")
  type: (_)
  .
  declarator: (variable_declarator
    name: (identifier) @name)) @definition.constant

(constant_declaration
  type: (_)
  .
  declarator: (variable_declarator
    name: (identifier) @name)) @definition.constant
