; hostile: get-value of a compound term
; expect: error get-value-term line 5
(declare-const x Int)
(assert (> x 0))
(get-value ((+ x 1)))
