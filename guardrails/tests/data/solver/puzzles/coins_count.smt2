; puzzle: Nine coins are 2s and 5s and total 30. How many 5s are there?
; expect: values answer = 4 unique
(declare-const twos Int)
(declare-const fives Int)
(declare-const answer Int)
(assert (>= twos 0))
(assert (>= fives 0))
(assert (= (+ twos fives) 9))
(assert (= (+ (* 2 twos) (* 5 fives)) 30))
(assert (= answer fives))
(check-sat)
(get-value (answer))
