; hostile: pop without push
; expect: error parse line 5
(declare-const x Int)
(assert (> x 0))
(pop 1)
