; puzzle: Two numbers add to 10 and both are greater than 6. What is the first?
; expect: values none
(declare-const x Int)
(declare-const y Int)
(declare-const answer Int)
(assert (= (+ x y) 10))
(assert (> x 6))
(assert (> y 6))
(assert (= answer x))
(check-sat)
(get-value (answer))
