; hostile: an undeclared function
; expect: error parse line 4
(declare-const x Int)
(assert (frobnicate x))
