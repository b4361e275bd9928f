; hostile: quantified nonlinear arithmetic
; expect: verdict sat|unsat|unknown|timeout
(declare-fun h (Int) Int)
(assert (forall ((x Int) (y Int)) (=> (and (> x 0) (> y 0)) (= (h (* x y)) (+ (h x) (h y))))))
(assert (= (h 2) 1))
(assert (= (h 3) 2))
(assert (= (h 6) 4))
(check-sat)
