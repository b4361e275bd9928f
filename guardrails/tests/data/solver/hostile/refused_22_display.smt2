; hostile: command display outside the allowlist after valid commands
; expect: refused display line 5
(declare-const x Int)
(assert (> x 0))
(display x)
(check-sat)
