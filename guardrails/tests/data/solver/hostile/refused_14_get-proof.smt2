; hostile: command get-proof outside the allowlist after valid commands
; expect: refused get-proof line 5
(declare-const x Int)
(assert (> x 0))
(get-proof)
(check-sat)
