; hostile: Int plus Bool
; expect: error parse line 4
(declare-const x Int)
(assert (= (+ x true) 1))
