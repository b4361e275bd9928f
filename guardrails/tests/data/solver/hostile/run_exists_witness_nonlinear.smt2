; hostile: existential over a nonlinear Diophantine equation
; expect: verdict sat|unknown|timeout
(assert (exists ((x Int) (y Int)) (and (> x 1) (> y 1) (= (- (* x x) (* 61 y y)) 1))))
(check-sat)
