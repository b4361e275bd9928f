; hostile: command check-sat-assuming outside the allowlist after valid commands
; expect: refused check-sat-assuming line 5
(declare-const x Int)
(assert (> x 0))
(check-sat-assuming ((> x 5)))
(check-sat)
