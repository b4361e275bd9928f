; hostile: command get-option outside the allowlist after valid commands
; expect: refused get-option line 5
(declare-const x Int)
(assert (> x 0))
(get-option :timeout)
(check-sat)
