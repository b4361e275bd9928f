; hostile: refused command written with extra spaces
; expect: refused exit line 3
(   exit   )
