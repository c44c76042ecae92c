#!/bin/sh
# Runs inside the freshly bootstrapped root (chroot) to make it a stock server image.
# Only what a test run needs is added; the host stays as stock as Debian ships it.
set -eu

# The apt-daily timers would take the dpkg lock in the middle of a test (the
# scenarios switch off the two controls that enable them again).
for unit in apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service; do
    ln -sf /dev/null "/etc/systemd/system/$unit"
done

# Every container gets its own SSH host keys at first boot instead of sharing the
# image's.
rm -f /etc/ssh/ssh_host_*
mkdir -p /etc/systemd/system/ssh.service.d
cat > /etc/systemd/system/ssh.service.d/host-keys.conf <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
UNIT

# The administrator as a stock install makes one: in group sudo, logging in with a
# key (installed when a container starts) and using sudo with a password. The
# password is a lab-only secret; inventories give it as a vault value
# (ansible_become_password), this file holds only its hash.
# Debian already has a system group named operator (base-passwd): the account joins it.
useradd --create-home --shell /bin/bash --gid operator --groups sudo operator
usermod --password '$6$lzstockoperator$MzG2P8dg0mqWbA4pr2nWtBm.XPznzlhyUgH1grsRVqdVx5scaoGsaS5hoQDrHqt6ozJbIn2OFEZnZF3GrGujU.' operator

# Package lists are fetched by the first apt-get that needs them, as on a fresh
# cloud image; caches and documentation are not needed.
apt-get clean
rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*
