"""Azure sign-in for `azureml` workspaces: clouds, credentials, TLS trust and a token cache.

Nothing here knows tornado or the REST API: the workspace kind drives these pieces.
"""
