; hostile: an empty list
; expect: error not-a-command line 3
()
