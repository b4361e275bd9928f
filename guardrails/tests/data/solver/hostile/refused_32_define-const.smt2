; hostile: command define-const outside the allowlist after valid commands
; expect: refused define-const line 5
(declare-const x Int)
(assert (> x 0))
(define-const y Int 3)
(check-sat)
