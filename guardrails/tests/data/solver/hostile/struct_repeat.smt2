; hostile: repeat 5000 times
; expect: error index-too-large line 4
(declare-const x (_ BitVec 8))
(assert (= ((_ repeat 5000) x) ((_ repeat 5000) x)))
