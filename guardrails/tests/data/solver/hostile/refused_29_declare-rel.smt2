; hostile: command declare-rel outside the allowlist after valid commands
; expect: refused declare-rel line 5
(declare-const x Int)
(assert (> x 0))
(declare-rel r (Int))
(check-sat)
