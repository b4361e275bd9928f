; hostile: an infinitely descending function
; expect: verdict sat|unknown|timeout
(declare-fun f (Int) Int)
(assert (forall ((x Int)) (> (f x) (f (+ x 1)))))
(check-sat)
