; hostile: command get-unsat-assumptions outside the allowlist after valid commands
; expect: refused get-unsat-assumptions line 5
(declare-const x Int)
(assert (> x 0))
(get-unsat-assumptions)
(check-sat)
