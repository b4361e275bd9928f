; hostile: command exit outside the allowlist after valid commands
; expect: refused exit line 5
(declare-const x Int)
(assert (> x 0))
(exit)
(check-sat)
