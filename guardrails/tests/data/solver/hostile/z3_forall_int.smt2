; hostile: forall over an Int body
; expect: error parse line 3
(assert (forall ((x Int)) x))
