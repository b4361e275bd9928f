; hostile: get-value of an undeclared name
; expect: error unknown-constant
(declare-const x Int)
(assert (> x 0))
(get-value (y))
