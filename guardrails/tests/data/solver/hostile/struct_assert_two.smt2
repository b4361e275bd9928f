; hostile: assert with two terms
; expect: error malformed line 4
(declare-const x Int)
(assert (> x 0) (< x 9))
