; hostile: command get-unsat-core outside the allowlist after valid commands
; expect: refused get-unsat-core line 5
(declare-const x Int)
(assert (> x 0))
(get-unsat-core)
(check-sat)
