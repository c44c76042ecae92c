"""The operator's command line for the cyberveilig.landingzone collection."""

__version__ = "0.1.0"
