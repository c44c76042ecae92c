"""Fleet runs through ansible-runner: one isolated private_data_dir per municipality run."""
