; hostile: a function applied to too many arguments
; expect: error parse line 4
(declare-fun f (Int) Int)
(assert (= (f 1 2) 3))
