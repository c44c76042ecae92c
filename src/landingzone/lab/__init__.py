"""Lab municipalities on local podman containers."""
