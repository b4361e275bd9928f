; hostile: a bare symbol at top level
; expect: error not-a-command line 4
(declare-const x Int)
x
