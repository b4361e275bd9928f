; puzzle: If the oven is on, the kitchen is warm. The kitchen is warm. Does it follow that the oven is on? (not determined)
; expect: claim unknown
(declare-const oven Bool)
(declare-const warm Bool)
(assert (=> oven warm))
(assert warm)
(declare-const claim Bool)
(assert (= claim oven))
(check-sat)
