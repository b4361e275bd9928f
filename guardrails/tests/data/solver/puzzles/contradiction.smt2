; puzzle: Jo is older than Lu. Lu is older than Jo. Is Jo older than 3?
; expect: claim contradictory
(declare-const jo Int)
(declare-const lu Int)
(assert (> jo lu))
(assert (> lu jo))
(declare-const claim Bool)
(assert (= claim (> jo 3)))
(check-sat)
