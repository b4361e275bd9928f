; hostile: declare-fun with an unknown range sort
; expect: error parse line 3
(declare-fun f (Int) Widget)
