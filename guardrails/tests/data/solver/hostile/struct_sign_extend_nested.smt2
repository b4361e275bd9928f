; hostile: sign_extend hidden deep in a term
; expect: error index-too-large line 6
(declare-const x (_ BitVec 8))
(declare-const y (_ BitVec 8))
(assert (or (= x y)
 (= ((_ sign_extend 4096) x) ((_ sign_extend 4096) y))))
