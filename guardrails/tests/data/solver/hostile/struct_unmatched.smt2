; hostile: a stray closing parenthesis
; expect: error unmatched-close line 5
(declare-const x Int)
(assert (> x 0))
(assert true))
