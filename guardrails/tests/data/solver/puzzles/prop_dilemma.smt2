; puzzle: If it snows, school closes. If it floods, the road closes. It snows or it floods. Does it follow that school closes or the road closes?
; expect: claim true
(declare-const snows Bool)
(declare-const floods Bool)
(declare-const school Bool)
(declare-const road Bool)
(assert (=> snows school))
(assert (=> floods road))
(assert (or snows floods))
(declare-const claim Bool)
(assert (= claim (or school road)))
(check-sat)
