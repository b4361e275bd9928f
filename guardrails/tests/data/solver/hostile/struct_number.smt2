; hostile: a bare number at top level
; expect: error not-a-command line 3
42
