"""Keep llama.cpp's warnings off the user's terminal; its errors still show.

llama-cpp-python maps ggml's log levels one step off, so with ``verbose=False`` every model load
still prints warnings such as "using full-size SWA cache". This installs a log callback that
prints only ggml errors (and their continuation lines), or everything when
``GPT4ALL_RAG_LLAMA_LOGS=1``.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any

_GGML_LOG_ERROR = 4
_GGML_LOG_CONT = 5
_state: dict[str, Any] = {}


def quiet_llama_logs() -> None:
    """Install the filtering callback once per process (call before creating a ``Llama``)."""
    if "callback" in _state:
        return
    import llama_cpp

    show_all = os.environ.get("GPT4ALL_RAG_LLAMA_LOGS") == "1"
    _state["last_level"] = 0

    @llama_cpp.llama_log_callback
    def on_log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        if level != _GGML_LOG_CONT:
            _state["last_level"] = level
        if show_all or _state["last_level"] == _GGML_LOG_ERROR:
            print(text.decode("utf-8", "replace"), end="", file=sys.stderr, flush=True)

    _state["callback"] = on_log  # a ctypes callback must outlive its registration
    llama_cpp.llama_log_set(on_log, ctypes.c_void_p(0))
