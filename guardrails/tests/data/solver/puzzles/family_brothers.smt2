; puzzle: Tom has four sisters. Each of his sisters has two brothers. How many brothers does Tom have?
; expect: values answer = 1 unique
(declare-const boys Int)
(declare-const girls Int)
(declare-const answer Int)
(assert (>= boys 1))
(assert (= girls 4))
(assert (= boys 2))
(assert (= answer (- boys 1)))
(check-sat)
(get-value (answer))
