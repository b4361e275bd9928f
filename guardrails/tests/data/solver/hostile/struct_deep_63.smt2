; hostile: nesting at the limit is accepted
; expect: verdict sat
(assert (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not true)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
