@echo off
rem Shell completion for "kubectl caps" through kubectl (1.26 or newer) on Windows.
rem kubectl looks up kubectl_complete-caps on PATH (PATHEXT makes it find this .cmd) and runs it
rem with the words typed after "kubectl caps", the last one being the word to complete. It prints
rem one candidate per line and, last, the ":<directive>" line kubectl reads.
kubectl caps __complete %*
