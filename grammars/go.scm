; Go definitions for the codesift chunker.
; Captures: @definition.<kind> (whole node), @name, optional @scope (the
; receiver's type name for methods: `func (s *Session) Send()` -> Session).
; A single `type X ...` / `const X = ...` is captured as the whole declaration
; (keyword included); inside a grouped `type ( ... )` / `const ( ... )` block
; each spec is its own definition.

(function_declaration
  name: (identifier) @name) @definition.function

(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [
        (type_identifier) @scope
        (pointer_type (type_identifier) @scope)
        (generic_type type: (type_identifier) @scope)
        (pointer_type (generic_type type: (type_identifier) @scope))
      ]))
  name: (field_identifier) @name) @definition.method

; --- types: single declarations -------------------------------------------

((type_declaration
  (type_spec
    name: (type_identifier) @name
    type: (struct_type))) @definition.struct
  (#not-match? @definition.struct "^type\\s*\\("))

((type_declaration
  (type_spec
    name: (type_identifier) @name
    type: (interface_type))) @definition.interface
  (#not-match? @definition.interface "^type\\s*\\("))

((type_declaration
  (type_spec
    name: (type_identifier) @name
    type: [
      (type_identifier) (qualified_type) (generic_type) (pointer_type)
      (slice_type) (array_type) (map_type) (channel_type) (function_type)
      (negated_type) (parenthesized_type)
    ])) @definition.type
  (#not-match? @definition.type "^type\\s*\\("))

((type_declaration
  (type_alias
    name: (type_identifier) @name)) @definition.type
  (#not-match? @definition.type "^type\\s*\\("))

; --- types: specs inside a grouped `type ( ... )` -------------------------

(type_declaration
  "("
  (type_spec
    name: (type_identifier) @name
    type: (struct_type)) @definition.struct)

(type_declaration
  "("
  (type_spec
    name: (type_identifier) @name
    type: (interface_type)) @definition.interface)

(type_declaration
  "("
  (type_spec
    name: (type_identifier) @name
    type: [
      (type_identifier) (qualified_type) (generic_type) (pointer_type)
      (slice_type) (array_type) (map_type) (channel_type) (function_type)
      (negated_type) (parenthesized_type)
    ]) @definition.type)

(type_declaration
  "("
  (type_alias
    name: (type_identifier) @name) @definition.type)

; --- top-level constants (first name of a spec: `const a, b = 1, 2` -> a) --

((source_file
  (const_declaration
    (const_spec
      .
      name: (identifier) @name)) @definition.constant)
  (#not-eq? @name "_")
  (#not-match? @definition.constant "^const\\s*\\("))

((source_file
  (const_declaration
    "("
    (const_spec
      .
      name: (identifier) @name) @definition.constant))
  (#not-eq? @name "_"))
