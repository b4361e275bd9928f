; hostile: command query outside the allowlist after valid commands
; expect: refused query line 5
(declare-const x Int)
(assert (> x 0))
(query r)
(check-sat)
