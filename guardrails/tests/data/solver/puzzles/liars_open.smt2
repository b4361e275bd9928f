; puzzle: Xia says Yul lies. Yul says Xia lies. Does Xia tell the truth? (not determined)
; expect: claim unknown
(declare-const xia Bool)
(declare-const yul Bool)
(assert (= xia (not yul)))
(assert (= yul (not xia)))
(declare-const claim Bool)
(assert (= claim xia))
(check-sat)
