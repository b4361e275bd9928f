; hostile: command help outside the allowlist after valid commands
; expect: refused help line 5
(declare-const x Int)
(assert (> x 0))
(help)
(check-sat)
