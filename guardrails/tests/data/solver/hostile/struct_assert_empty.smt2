; hostile: assert without a term
; expect: error malformed line 4
(declare-const x Int)
(assert)
