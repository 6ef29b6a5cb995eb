"""llama.cpp plumbing: the shared runtime, the model catalog, GGUF headers, prompt formats,
grammars, log quieting and the CPU workarounds."""
