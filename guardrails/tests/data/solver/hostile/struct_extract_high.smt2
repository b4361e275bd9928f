; hostile: extract with a huge index
; expect: error index-too-large line 4
(declare-const x (_ BitVec 8))
(assert (= ((_ extract 2000000 0) x) x))
