; hostile: pop of a million scopes
; expect: error too-many-scopes line 5
(declare-const x Int)
(assert (> x 0))
(pop 1000000)
