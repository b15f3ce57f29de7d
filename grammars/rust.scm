; Rust definitions for the codesift chunker.
; Captures: @definition.<kind> (whole node), @name. An `impl` block is named
; after the implemented type (`impl Foo`, `impl Display for Foo<T>` -> Foo) so
; functions inside it get the path `Foo.method`.

(function_item
  name: (identifier) @name) @definition.function

; Bodiless functions: trait method declarations and `extern` items.
(function_signature_item
  name: (identifier) @name) @definition.function

(macro_definition
  name: (identifier) @name) @definition.function

(struct_item
  name: (type_identifier) @name) @definition.struct

(union_item
  name: (type_identifier) @name) @definition.struct

(enum_item
  name: (type_identifier) @name) @definition.enum

(trait_item
  name: (type_identifier) @name) @definition.trait

(type_item
  name: (type_identifier) @name) @definition.type

(const_item
  name: (identifier) @name) @definition.constant

(static_item
  name: (identifier) @name) @definition.constant

; Inline modules only (`mod foo;` just points at another file).
(mod_item
  name: (identifier) @name
  body: (declaration_list)) @definition.module

(impl_item
  type: [
    (type_identifier) @name
    (primitive_type) @name
    (scoped_type_identifier name: (type_identifier) @name)
    (generic_type
      type: [
        (type_identifier) @name
        (scoped_type_identifier name: (type_identifier) @name)
      ])
    (reference_type
      type: [
        (type_identifier) @name
        (primitive_type) @name
        (scoped_type_identifier name: (type_identifier) @name)
        (generic_type
          type: [
            (type_identifier) @name
            (scoped_type_identifier name: (type_identifier) @name)
          ])
      ])
  ]) @definition.impl
