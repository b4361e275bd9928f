; hostile: command apply outside the allowlist after valid commands
; expect: refused apply line 5
(declare-const x Int)
(assert (> x 0))
(apply (then simplify smt))
(check-sat)
