; hostile: get-value without a list
; expect: error malformed line 5
(declare-const x Int)
(assert (> x 0))
(get-value x)
