; puzzle: Either the shop is open or the owner is on holiday. The shop is not open. Is the owner on holiday?
; expect: claim true
(declare-const open Bool)
(declare-const holiday Bool)
(assert (or open holiday))
(assert (not open))
(declare-const claim Bool)
(assert (= claim holiday))
(check-sat)
