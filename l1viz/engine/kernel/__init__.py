"""The compiled kernel: the C twin of the engine's torch code, and everything that builds and
calls it. Each file holds one side of the boundary:

    kernel.h        the C declarations and the codes both sides share (read by cffi and gcc)
    kernel.c        the training steps, one evaluation and the data, in vectorised C
    header.py       kernel.h as Python reads it: the cffi declarations and the named codes
    build.py        compiling kernel.c into a cache on first use; `library()` loads it
    threads.py      splitting models between the kernel's own threads
    calls.py        the checked calls: one evaluation, the data draw, the input features
    chunks.py       `KernelTraining`: whole chunks of training steps (torch_path.py's twin)
    square_root.py  torch's own square roots, which the kernel must call to match its bits

docs/science.md pairs each Python function with its C twin.
"""
