; hostile: a command never closed
; expect: error unclosed-paren line 5
(declare-const x Int)
(assert (> x 0))
(assert (and (> x 1)
(check-sat)
