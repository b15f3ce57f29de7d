; inherits: c_common
; C definitions for the codesift chunker: the patterns shared with C++ come
; from c_common.scm; this file adds only what needs C-only node types.
; Captures: @definition.<kind> (whole node), @name.

; --- other typedefs (first declarator names the definition) ------------------
; Kept out of c_common.scm: macro_type_specifier exists only in the C grammar
; (cpp.scm has its own list of C++ type kinds and declarators).

(type_definition
  type: [
    (primitive_type) (sized_type_specifier) (type_identifier)
    (macro_type_specifier)
    (struct_specifier !body) (union_specifier !body) (enum_specifier !body)
  ]
  .
  declarator: [
    (type_identifier) @name
    (pointer_declarator
      declarator: (type_identifier) @name)
    (pointer_declarator
      declarator: (pointer_declarator
        declarator: (type_identifier) @name))
    (array_declarator
      declarator: (type_identifier) @name)
    ; function types and function pointers: `typedef int (*cb)(int);`
    (function_declarator
      declarator: [
        (type_identifier) @name
        (parenthesized_declarator
          (pointer_declarator
            declarator: (type_identifier) @name))
      ])
    (pointer_declarator
      declarator: (function_declarator
        declarator: (parenthesized_declarator
          (pointer_declarator
            declarator: (type_identifier) @name))))
  ]) @definition.type
