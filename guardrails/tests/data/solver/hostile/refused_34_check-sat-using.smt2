; hostile: command check-sat-using outside the allowlist after valid commands
; expect: refused check-sat-using line 5
(declare-const x Int)
(assert (> x 0))
(check-sat-using smt)
(check-sat)
