; hostile: command rule outside the allowlist after valid commands
; expect: refused rule line 5
(declare-const x Int)
(assert (> x 0))
(rule (=> true false))
(check-sat)
