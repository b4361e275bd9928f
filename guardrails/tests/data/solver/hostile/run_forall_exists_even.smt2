; hostile: every integer is even (false; needs quantifier reasoning)
; expect: verdict unsat|unknown|timeout
(assert (forall ((x Int)) (exists ((y Int)) (= x (* 2 y)))))
(check-sat)
