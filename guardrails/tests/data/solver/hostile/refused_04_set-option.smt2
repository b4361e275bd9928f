; hostile: command set-option outside the allowlist after valid commands
; expect: refused set-option line 5
(declare-const x Int)
(assert (> x 0))
(set-option :smt.random_seed 7)
(check-sat)
