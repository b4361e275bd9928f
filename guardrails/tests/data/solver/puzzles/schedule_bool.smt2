; puzzle: Of three tasks exactly two run on Monday. If task a runs, task b does not. Task c runs. Does task b run?
; expect: claim unknown
(declare-const a Bool)
(declare-const b Bool)
(declare-const c Bool)
(assert ((_ pbeq 2 1 1 1) a b c))
(assert (=> a (not b)))
(assert c)
(declare-const claim Bool)
(assert (= claim b))
(check-sat)
