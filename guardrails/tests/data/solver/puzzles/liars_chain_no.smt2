; puzzle: Una lies. Vic says Una tells the truth. Wes says Vic tells the truth. Does Wes tell the truth?
; expect: claim false
(declare-const una Bool)
(declare-const vic Bool)
(declare-const wes Bool)
(assert (not una))
(assert (= vic una))
(assert (= wes vic))
(declare-const claim Bool)
(assert (= claim wes))
(check-sat)
