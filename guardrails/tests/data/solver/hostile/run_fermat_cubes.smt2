; hostile: nonlinear integers: x^3 + y^3 = z^3 has no positive solution
; expect: verdict timeout|unknown
(declare-const x Int)
(declare-const y Int)
(declare-const z Int)
(assert (> x 0))
(assert (> y 0))
(assert (> z 0))
(assert (= (+ (* x x x) (* y y y)) (* z z z)))
(check-sat)
