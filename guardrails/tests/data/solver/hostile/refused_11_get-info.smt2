; hostile: command get-info outside the allowlist after valid commands
; expect: refused get-info line 5
(declare-const x Int)
(assert (> x 0))
(get-info :version)
(check-sat)
