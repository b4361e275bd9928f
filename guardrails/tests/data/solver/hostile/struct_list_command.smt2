; hostile: a list as the command
; expect: error not-a-command line 3
((exit))
