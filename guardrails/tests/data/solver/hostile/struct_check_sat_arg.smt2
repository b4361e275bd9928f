; hostile: check-sat with an argument
; expect: error malformed line 5
(declare-const x Int)
(assert (> x 0))
(check-sat x)
