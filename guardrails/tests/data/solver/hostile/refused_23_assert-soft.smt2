; hostile: command assert-soft outside the allowlist after valid commands
; expect: refused assert-soft line 5
(declare-const x Int)
(assert (> x 0))
(assert-soft (> x 3))
(check-sat)
