; hostile: an undeclared constant
; expect: error parse line 4
(declare-const x Int)
(assert (= x y))
