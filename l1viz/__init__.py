"""l1viz: how initialisation decides whether a one-unit ReLU recurrent cell learns the L1 norm.

Read top to bottom: config (settings) -> data (batches) -> cell (the model, forward and backward;
kernel.c/native.py its compiled twin) -> optim -> outcomes (the verdict rules) -> trainer (K models
at once, in chunks) -> explain, generalise, notebook (the original run, replayed), cli.
"""
