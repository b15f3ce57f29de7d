; inherits: c_common
; C++ definitions for the codesift chunker: c_common.scm (shared with C)
; supplies plain-identifier functions, struct/union/enum bodies named by a
; type_identifier, typedefs of a struct/union/enum body and macros; this file
; adds what needs C++ node types, without repeating what c_common.scm matches.
; Captures: @definition.<kind> (whole node), @name, optional @scope: for an
; out-of-class definition `void Foo::bar() {}` @name is `bar` and @scope is
; `Foo` (the innermost qualifier; `Box<T>::get` -> Box). Functions defined in a
; class body are captured as functions (the chunker makes them methods);
; template functions/classes are matched through the inner definition.
; A typedef of a struct/class/union/enum body is one definition named after
; the typedef; a body outside a typedef is matched on its own.

; --- functions ----------------------------------------------------------------
; The name may be qualified up to three levels (Foo::bar, ns::Foo::bar,
; a::b::Foo::bar); @scope is then the innermost qualifier. A plain identifier
; name is matched by c_common.scm, except for reference-returning functions.

; `void Foo::bar()`, `Foo::~Foo()`, `bool operator==(...)`
(function_definition
  declarator: (function_declarator
    declarator: [
      (field_identifier) @name
      (destructor_name) @name
      (operator_name) @name
      (qualified_identifier
        scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
        name: [(identifier) (destructor_name) (operator_name)] @name)
      (qualified_identifier
        name: (qualified_identifier
          scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
          name: [(identifier) (destructor_name) (operator_name)] @name))
      (qualified_identifier
        name: (qualified_identifier
          name: (qualified_identifier
            scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
            name: [(identifier) (destructor_name) (operator_name)] @name)))
    ])) @definition.function

; pointer-returning: `const T* Foo::get()`
(function_definition
  declarator: (pointer_declarator declarator:
    (function_declarator
      declarator: [
        (field_identifier) @name
        (destructor_name) @name
        (operator_name) @name
        (qualified_identifier
          scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
          name: [(identifier) (destructor_name) (operator_name)] @name)
        (qualified_identifier
          name: (qualified_identifier
            scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
            name: [(identifier) (destructor_name) (operator_name)] @name))
        (qualified_identifier
          name: (qualified_identifier
            name: (qualified_identifier
              scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
              name: [(identifier) (destructor_name) (operator_name)] @name)))
      ]))) @definition.function

; `char **Foo::f()`
(function_definition
  declarator: (pointer_declarator declarator:
    (pointer_declarator declarator:
      (function_declarator
        declarator: [
          (field_identifier) @name
          (destructor_name) @name
          (operator_name) @name
          (qualified_identifier
            scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
            name: [(identifier) (destructor_name) (operator_name)] @name)
          (qualified_identifier
            name: (qualified_identifier
              scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
              name: [(identifier) (destructor_name) (operator_name)] @name))
          (qualified_identifier
            name: (qualified_identifier
              name: (qualified_identifier
                scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
                name: [(identifier) (destructor_name) (operator_name)] @name)))
        ])))) @definition.function

; reference-returning: `T& Foo::at()`
(function_definition
  declarator: (reference_declarator
    (function_declarator
      declarator: [
        (identifier) @name
        (field_identifier) @name
        (destructor_name) @name
        (operator_name) @name
        (qualified_identifier
          scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
          name: [(identifier) (destructor_name) (operator_name)] @name)
        (qualified_identifier
          name: (qualified_identifier
            scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
            name: [(identifier) (destructor_name) (operator_name)] @name))
        (qualified_identifier
          name: (qualified_identifier
            name: (qualified_identifier
              scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
              name: [(identifier) (destructor_name) (operator_name)] @name)))
      ]))) @definition.function

; --- namespaces (anonymous namespaces are not captured) ----------------------

(namespace_definition
  name: [(namespace_identifier) (nested_namespace_specifier)] @name) @definition.module

; --- class / struct / union / enum bodies outside a typedef -------------------
; Listed by parent so that the specifier inside a type_definition (captured
; below as the typedef) is never matched a second time. c_common.scm matches
; struct/union/enum named by a type_identifier under the same parents (all but
; template_declaration); here: classes, template specializations
; (`template <> struct S<int> {...}`) and everything under a template.

; Top level, namespaces, extern "C" blocks, templates, function bodies and
; preprocessor blocks.
(translation_unit
  [
    (class_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.class
    (struct_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (union_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (enum_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.enum
  ])

(declaration_list
  [
    (class_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.class
    (struct_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (union_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (enum_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.enum
  ])

; Templates: every specifier, whatever its name.
(template_declaration
  [
    (class_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.class
    (struct_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.struct
    (union_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.struct
    (enum_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.enum
  ])

(compound_statement
  [
    (class_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.class
    (struct_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (union_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (enum_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.enum
  ])

(preproc_if
  [
    (class_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.class
    (struct_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (union_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (enum_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.enum
  ])

(preproc_ifdef
  [
    (class_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.class
    (struct_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (union_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (enum_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.enum
  ])

(preproc_else
  [
    (class_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.class
    (struct_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (union_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (enum_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.enum
  ])

(preproc_elif
  [
    (class_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.class
    (struct_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (union_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (enum_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.enum
  ])

(preproc_elifdef
  [
    (class_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.class
    (struct_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (union_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (enum_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.enum
  ])

; `struct S {...} s;` and classes/structs nested in a class body.
(declaration
  type: [
    (class_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.class
    (struct_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (union_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (enum_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.enum
  ])

(field_declaration
  type: [
    (class_specifier
      name: [(type_identifier) @name (template_type name: (type_identifier) @name)]
      body: (_)) @definition.class
    (struct_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (union_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
    (enum_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.enum
  ])

; --- typedefs and aliases (first declarator names the definition) ------------

(type_definition
  type: (class_specifier body: (_))
  .
  declarator: [
    (type_identifier) @name
    (pointer_declarator declarator: (type_identifier) @name)
  ]) @definition.struct

(type_definition
  type: [
    (primitive_type) (sized_type_specifier) (type_identifier)
    (qualified_identifier) (template_type) (dependent_type) (decltype)
    (placeholder_type_specifier)
    (struct_specifier !body) (union_specifier !body) (enum_specifier !body)
    (class_specifier !body)
  ]
  .
  declarator: [
    (type_identifier) @name
    (pointer_declarator
      declarator: (type_identifier) @name)
    (pointer_declarator
      declarator: (pointer_declarator
        declarator: (type_identifier) @name))
    (reference_declarator
      (type_identifier) @name)
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

; `using Alias = T;`
(alias_declaration
  name: (type_identifier) @name) @definition.type

(concept_definition
  name: (identifier) @name) @definition.type

