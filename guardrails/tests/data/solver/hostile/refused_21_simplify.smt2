; hostile: command simplify outside the allowlist after valid commands
; expect: refused simplify line 5
(declare-const x Int)
(assert (> x 0))
(simplify (+ x 1))
(check-sat)
