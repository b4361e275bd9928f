; hostile: command reset outside the allowlist after valid commands
; expect: refused reset line 5
(declare-const x Int)
(assert (> x 0))
(reset)
(check-sat)
