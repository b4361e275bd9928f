; hostile: an integer power with a huge exponent
; expect: verdict sat|unknown|timeout|memory
(declare-const x Int)
(assert (= x (^ 2 100000000)))
(assert (> x 0))
(check-sat)
