"""Studies on a Dask cluster: tiles of models as tasks (`tiles`, no Dask), where studies run
(`place`, no Dask), the connection and its checks (`client`) and the runner (`dask_runner`).

Only `client` and `dask_runner` import Dask, and only a study asked to run on a cluster imports
them: the default, in-process, never loads Dask.
"""
