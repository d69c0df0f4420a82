"""The engine: settings and limits (config), data, the cell and its compiled kernel, optimisers,
outcome rules, the K-model trainer and its history. Torch only: no UI, plotting or tracking."""
