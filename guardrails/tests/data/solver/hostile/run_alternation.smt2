; hostile: three quantifier alternations over nonlinear terms
; expect: verdict sat|unsat|unknown|timeout
(assert (forall ((x Int)) (exists ((y Int)) (forall ((z Int)) (or (< z 0) (> (* y y) (+ (* x z) z)))))))
(check-sat)
