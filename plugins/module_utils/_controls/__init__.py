"""Private engine behind the linux_controls module: schemas, transaction, handlers."""
