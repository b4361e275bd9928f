; puzzle: On an island knights always tell the truth and knaves always lie. A says: "We are both knaves." Is B a knight?
; expect: claim true
(declare-const a Bool)
(declare-const b Bool)
(assert (= a (and (not a) (not b))))
(declare-const claim Bool)
(assert (= claim b))
(check-sat)
