; hostile: quantifier matching loop f(x) = f(x+1)
; expect: verdict timeout|unknown|sat
(declare-fun f (Int) Int)
(assert (forall ((x Int)) (! (= (f x) (f (+ x 1))) :pattern ((f x)))))
(assert (= (f 0) 1))
(assert (= (f 1000000) 2))
(check-sat)
