; hostile: command get-assertions outside the allowlist after valid commands
; expect: refused get-assertions line 5
(declare-const x Int)
(assert (> x 0))
(get-assertions)
(check-sat)
