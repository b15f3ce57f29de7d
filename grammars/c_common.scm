; Definitions shared by C and C++: not a language of its own. c.scm and
; cpp.scm inherit it (`; inherits: c_common`), so every pattern here must compile
; against both grammars and capture the same nodes in both; patterns that need
; node types of one grammar only (macro_type_specifier in C; class_specifier,
; template_type, reference_declarator ... in C++) stay in that language's file.
; Captures: @definition.<kind> (whole node), @name.
; A typedef of a struct/union/enum body is one definition (the whole
; `typedef struct {...} Name;`, named after the typedef); a struct/union/enum
; body outside a typedef is matched on its own.

; --- functions (plain and pointer-returning) -------------------------------

(function_definition
  declarator: [
    (function_declarator
      declarator: (identifier) @name)
    (pointer_declarator
      declarator: (function_declarator
        declarator: (identifier) @name))
    (pointer_declarator
      declarator: (pointer_declarator
        declarator: (function_declarator
          declarator: (identifier) @name)))
  ]) @definition.function

; --- struct / union / enum bodies outside a typedef -------------------------
; Listed by parent so that the specifier inside a type_definition (captured
; below as the typedef) is never matched a second time.

; `struct S {...};` at top level, in preprocessor blocks, extern "C" blocks
; and function bodies.
(translation_unit
  [
    (struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (union_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
  ])

(preproc_if
  [
    (struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (union_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
  ])

(preproc_ifdef
  [
    (struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (union_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
  ])

(preproc_else
  [
    (struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (union_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
  ])

(preproc_elif
  [
    (struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (union_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
  ])

(preproc_elifdef
  [
    (struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (union_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
  ])

(declaration_list
  [
    (struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (union_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
  ])

(compound_statement
  [
    (struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (union_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
  ])

; `struct S {...} s;` and named structs nested in a struct's fields.
(declaration
  type: [
    (struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (union_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
  ])

(field_declaration
  type: [
    (struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (union_specifier name: (type_identifier) @name body: (_)) @definition.struct
    (enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
  ])

; --- typedefs of a struct/union/enum body (first declarator names it) --------

(type_definition
  type: [(struct_specifier body: (_)) (union_specifier body: (_))]
  .
  declarator: [
    (type_identifier) @name
    (pointer_declarator declarator: (type_identifier) @name)
  ]) @definition.struct

(type_definition
  type: (enum_specifier body: (_))
  .
  declarator: [
    (type_identifier) @name
    (pointer_declarator declarator: (type_identifier) @name)
  ]) @definition.enum

; --- macros (object-like macros with a value; header guards are skipped) ----

(preproc_def
  name: (identifier) @name
  value: (_)) @definition.constant

(preproc_function_def
  name: (identifier) @name) @definition.function
