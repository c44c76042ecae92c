"""The environment ansible-runner hands to ansible-playbook, cleaned.

ansible-runner seeds the job's environment with the whole environment of the
calling process and writes it, verbatim, into the artifacts' `command` file. An
operator's shell holds tokens, proxies with passwords and vault variables; none
of that belongs in a job or on disk. So the job gets an allowlist from the
operator's environment, the variables this wrapper sets, and the few that
ansible-runner itself needs to stream events; everything else is dropped,
inherited ANSIBLE_* variables included.
"""

from collections.abc import Mapping

# Taken from the operator's environment when present. SSH_AUTH_SOCK is a path
# (the agent keeps the keys), and real fleets log in through an agent.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "CONTAINERS_CONF", "SSH_AUTH_SOCK")

# What ansible-runner adds for its callback plugin, fact cache and event filter.
RUNNER_OWN = (
    "ANSIBLE_STDOUT_CALLBACK",
    "ANSIBLE_CALLBACK_PLUGINS",
    "ANSIBLE_RETRY_FILES_ENABLED",
    "ANSIBLE_HOST_KEY_CHECKING",
    "ANSIBLE_CACHE_PLUGIN",
    "ANSIBLE_CACHE_PLUGIN_CONNECTION",
    "AWX_ISOLATED_DATA_DIR",
    "RUNNER_OMIT_EVENTS",
    "RUNNER_ONLY_FAILED_EVENTS",
)


def clean_environment(
    runner_env: Mapping[str, str], inherited: Mapping[str, str], ours: Mapping[str, str]
) -> dict[str, str]:
    """The job's environment: allowlisted inherited names, ansible-runner's own
    settings as it prepared them, and ours (which win)."""
    env = {name: inherited[name] for name in INHERITED if name in inherited}
    env.update({name: runner_env[name] for name in RUNNER_OWN if name in runner_env})
    env.update(ours)
    return {str(k): str(v) for k, v in env.items()}
