"""Benchmarks for jupyterlab_aml, side by side with MLflow's own server: ``python -m bench``."""
