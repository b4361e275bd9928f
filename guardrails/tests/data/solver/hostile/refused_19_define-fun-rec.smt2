; hostile: command define-fun-rec outside the allowlist after valid commands
; expect: refused define-fun-rec line 5
(declare-const x Int)
(assert (> x 0))
(define-fun-rec loop ((n Int)) Int (loop (+ n 1)))
(check-sat)
