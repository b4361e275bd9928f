; puzzle: If Rio trains every day, she runs the marathon. She did not run the marathon. Does it follow that she did not train every day?
; expect: claim true
(declare-const trains Bool)
(declare-const runs Bool)
(assert (=> trains runs))
(assert (not runs))
(declare-const claim Bool)
(assert (= claim (not trains)))
(check-sat)
