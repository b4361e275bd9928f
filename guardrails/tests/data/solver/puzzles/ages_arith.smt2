; puzzle: Ada is twice as old as Bo. In four years Ada will be 20. How old is Bo?
; expect: values answer = 8 unique
(declare-const ada Int)
(declare-const bo Int)
(declare-const answer Int)
(assert (= ada (* 2 bo)))
(assert (= (+ ada 4) 20))
(assert (= answer bo))
(check-sat)
(get-value (answer))
