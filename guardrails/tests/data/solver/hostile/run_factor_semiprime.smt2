; hostile: factor a 319-bit semiprime with bit-vector multiplication
; expect: verdict timeout|unknown|memory
(declare-const a (_ BitVec 320))
(declare-const b (_ BitVec 320))
(assert (= (bvmul a b) (_ bv1067993517960455041197510853084776057291936608575246363827596978592837894034453501285142817144833 320)))
(assert (bvugt a (_ bv1 320)))
(assert (bvugt b (_ bv1 320)))
(assert (bvult a (_ bv1606938044258990275541962092341162602522202993782792835301376 320)))
(assert (bvult b (_ bv1606938044258990275541962092341162602522202993782792835301376 320)))
(check-sat)
