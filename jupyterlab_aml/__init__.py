"""jupyterlab_aml: MLflow experiment tracking in JupyterLab (local, MLflow server, Azure ML)."""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "dev"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-aml"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .extension import AmlExtension

    return [{"module": "jupyterlab_aml", "app": AmlExtension}]


def load_ipython_extension(ipython) -> None:
    """``%load_ext jupyterlab_aml``: register ``%aml_track``."""
    from .magics import AmlTrackMagics

    ipython.register_magics(AmlTrackMagics)
