; hostile: command reset-assertions outside the allowlist after valid commands
; expect: refused reset-assertions line 5
(declare-const x Int)
(assert (> x 0))
(reset-assertions)
(check-sat)
