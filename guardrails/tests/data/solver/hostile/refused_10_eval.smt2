; hostile: command eval outside the allowlist after valid commands
; expect: refused eval line 5
(declare-const x Int)
(assert (> x 0))
(eval x)
(check-sat)
