; hostile: a cyclic list term (acyclicity makes it unsat)
; expect: verdict unsat
(declare-datatypes ((L 0)) (((cons (hd Int) (tl L)) (nil))))
(declare-const l L)
(assert (= l (cons 1 l)))
(check-sat)
