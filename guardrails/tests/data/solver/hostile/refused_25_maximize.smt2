; hostile: command maximize outside the allowlist after valid commands
; expect: refused maximize line 5
(declare-const x Int)
(assert (> x 0))
(maximize x)
(check-sat)
