; hostile: command EXIT outside the allowlist after valid commands
; expect: refused EXIT line 5
(declare-const x Int)
(assert (> x 0))
(EXIT)
(check-sat)
