; inherits: typescript
; TSX definitions: the TypeScript patterns (typescript.scm, which itself inherits
; js_common.scm), compiled against the TSX grammar; JSX elements are not
; definitions, so nothing is added here.
