"""ansible-test's pip bootstrap, without its download.

ansible-test creates each sanity test's virtualenv without pip, then runs a pip bootstrap
script that it downloads from a host of its own, outside the package registries this
project may reach. It looks for that script in its cache first
(~/.ansible/test/cache/get_pip_<version>.py), where tools/sanity.sh puts this file.

Like the original, it is run with the packages to install as arguments (pip==<version>);
it takes pip from the interpreter's own ensurepip, offline, and then lets that pip install
the requested packages from the configured package index. ansible-test installs every
sanity requirement with the pip this leaves behind.
"""

import ensurepip
import subprocess
import sys

# Options only the original script knows; pip itself would refuse them.
BOOTSTRAP_ONLY = ("--no-setuptools", "--no-wheel")

ensurepip.bootstrap(upgrade=True)
arguments = [argument for argument in sys.argv[1:] if argument not in BOOTSTRAP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *arguments]))
