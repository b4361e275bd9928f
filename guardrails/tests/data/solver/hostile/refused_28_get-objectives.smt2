; hostile: command get-objectives outside the allowlist after valid commands
; expect: refused get-objectives line 5
(declare-const x Int)
(assert (> x 0))
(get-objectives)
(check-sat)
