; hostile: quantifier bomb: each instance creates two new terms
; expect: verdict timeout|unknown|memory
; (each instance adds terms: a fast machine fills the memory limit before the deadline)
(declare-fun g (Int) Int)
(assert (forall ((x Int)) (! (> (g x) (+ (g (* 2 x)) (g (+ (* 2 x) 1)))) :pattern ((g x)))))
(assert (= (g 1) 0))
(check-sat)
