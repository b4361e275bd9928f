; hostile: a quoted symbol as the command
; expect: error not-a-command line 3
(|exit|)
