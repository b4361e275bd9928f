; hostile: command minimize outside the allowlist after valid commands
; expect: refused minimize line 5
(declare-const x Int)
(assert (> x 0))
(minimize x)
(check-sat)
