; hostile: nesting at the limit, odd negations
; expect: verdict unsat
(assert (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not true))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
