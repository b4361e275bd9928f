; hostile: refused command on the same line as valid ones
; expect: refused set-option line 3
(declare-const x Int) (assert (> x 0)) (set-option :print-success true)
