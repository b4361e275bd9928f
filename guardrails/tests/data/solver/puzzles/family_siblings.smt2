; puzzle: Lea has three brothers and two sisters. How many children are in the family?
; expect: values answer = 6 unique
(declare-const boys Int)
(declare-const girls Int)
(declare-const answer Int)
(assert (= boys 3))
(assert (= (- girls 1) 2))
(assert (= answer (+ boys girls)))
(check-sat)
(get-value (answer))
