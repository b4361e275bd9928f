; hostile: command define-funs-rec outside the allowlist after valid commands
; expect: refused define-funs-rec line 5
(declare-const x Int)
(assert (> x 0))
(define-funs-rec ((f ((n Int)) Int)) ((f n)))
(check-sat)
