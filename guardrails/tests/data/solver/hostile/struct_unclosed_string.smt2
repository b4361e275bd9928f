; hostile: a string literal never closed
; expect: error unclosed-string line 5
(declare-const x Int)
(assert (> x 0))
(set-info :source "abc)
(check-sat)
