import pytest

from l1viz.engine import native


@pytest.fixture(params=["kernel", "torch"])
def engine_path(request, monkeypatch):
    """Run a test on the compiled kernel and on the pure-torch path."""
    if request.param == "kernel":
        assert native.kernel() is not None, "the C kernel should build on this machine"
    else:
        monkeypatch.setattr(native, "kernel", lambda: None)
    return request.param
