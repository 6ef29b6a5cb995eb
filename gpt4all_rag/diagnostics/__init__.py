"""Diagnostics: what this machine has, and live checks run in child processes so that a crash
(llama.cpp on an unsupported CPU path) is reported instead of suffered."""
