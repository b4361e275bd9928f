; hostile: push with a negative count
; expect: error too-many-scopes line 3
(push -1)
