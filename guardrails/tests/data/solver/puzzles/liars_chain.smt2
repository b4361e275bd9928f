; puzzle: Ona tells the truth. Pia says Ona lies. Quin says Pia lies. Rex says Quin tells the truth. Does Rex tell the truth?
; expect: claim true
(declare-const ona Bool)
(declare-const pia Bool)
(declare-const quin Bool)
(declare-const rex Bool)
(assert ona)
(assert (= pia (not ona)))
(assert (= quin (not pia)))
(assert (= rex quin))
(declare-const claim Bool)
(assert (= claim rex))
(check-sat)
