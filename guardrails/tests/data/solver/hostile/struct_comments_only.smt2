; hostile: nothing but comments
; expect: error empty
; (exit)
; (set-option :timeout 0)
