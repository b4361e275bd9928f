; hostile: command get-assignment outside the allowlist after valid commands
; expect: refused get-assignment line 5
(declare-const x Int)
(assert (> x 0))
(get-assignment)
(check-sat)
