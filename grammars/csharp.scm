; C# definitions for the codesift chunker.
; Captures: @definition.<kind> (whole node), @name. Block namespaces are
; modules (a dotted name such as `A.B` is captured whole); file-scoped
; `namespace X;` declarations have no body and are not captured.

(namespace_declaration
  name: (_) @name) @definition.module

(class_declaration
  name: (identifier) @name) @definition.class

(record_declaration
  name: (identifier) @name) @definition.class

(struct_declaration
  name: (identifier) @name) @definition.struct

(interface_declaration
  name: (identifier) @name) @definition.interface

(enum_declaration
  name: (identifier) @name) @definition.enum

(delegate_declaration
  name: (identifier) @name) @definition.type

(method_declaration
  name: (identifier) @name) @definition.method

(constructor_declaration
  name: (identifier) @name) @definition.method

(destructor_declaration
  name: (identifier) @name) @definition.method

; `const` fields and `static readonly` fields (either order); the first
; declarator names the definition.
(field_declaration
  (modifier "const")
  (variable_declaration
    type: (_)
    .
    (variable_declarator
      name: (identifier) @name))) @definition.constant

(field_declaration
  (modifier "static")
  (modifier "readonly")
  (variable_declaration
    type: (_)
    .
    (variable_declarator
      name: (identifier) @name))) @definition.constant

(field_declaration
  (modifier "readonly")
  (modifier "static")
  (variable_declaration
    type: (_)
    .
    (variable_declarator
      name: (identifier) @name))) @definition.constant
