; Ruby definitions for the codesift chunker.
; Captures: @definition.<kind> (whole node), @name, optional @scope for
; `class Admin::User` (@scope = Admin, the innermost qualifier; @name = User).
; Methods are captured as functions; the chunker turns those nested in a
; class/module into methods.

(method
  name: (_) @name) @definition.function

; `def self.build`
(singleton_method
  name: (_) @name) @definition.function

(class
  name: [
    (constant) @name
    (scope_resolution
      scope: [(constant) @scope (scope_resolution name: (constant) @scope)]
      name: (constant) @name)
  ]) @definition.class

(module
  name: [
    (constant) @name
    (scope_resolution
      scope: [(constant) @scope (scope_resolution name: (constant) @scope)]
      name: (constant) @name)
  ]) @definition.module

; `MAX = 10`, `Foo::LIMIT = 3`
(assignment
  left: [
    (constant) @name
    (scope_resolution name: (constant) @name)
  ]) @definition.constant
