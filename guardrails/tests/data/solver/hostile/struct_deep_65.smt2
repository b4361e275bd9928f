; hostile: nesting one past the limit
; expect: error too-deep line 3
(assert (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not (not true)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
