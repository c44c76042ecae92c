#!/bin/sh
# Runs inside the freshly bootstrapped root (chroot) to make it a lab image.
set -eu

# The apt-daily timers would take the dpkg lock in the middle of a test.
for unit in apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service; do
    ln -sf /dev/null "/etc/systemd/system/$unit"
done

# Services installed only so that roles need not download them stay off until a
# role that owns them starts them: a lab host listens only where its roles say.
for unit in strongswan.service strongswan-starter.service ulogd2.service postgresql.service nginx.service; do
    if [ -e "/lib/systemd/system/$unit" ] || [ -e "/usr/lib/systemd/system/$unit" ]; then
        systemctl disable "$unit" >/dev/null 2>&1 || true
    fi
done

# Every container gets its own SSH host keys at first boot instead of sharing
# the image's (the key is made before sshd checks its configuration).
rm -f /etc/ssh/ssh_host_*
mkdir -p /etc/systemd/system/ssh.service.d
cat > /etc/systemd/system/ssh.service.d/host-keys.conf <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
UNIT

# The account Ansible uses in the lab. Its key is installed by `lab up`; its
# password is unusable, so only a key logs it in. The group is the one the
# baseline lets through SSH and sudo.
groupadd --system lz-operators
useradd --create-home --shell /bin/bash --gid operator --groups lz-operators operator
usermod --password '*' operator
printf '%s\n' '%lz-operators ALL=(ALL:ALL) NOPASSWD: ALL' > /etc/sudoers.d/lz-operators
chmod 0440 /etc/sudoers.d/lz-operators

# Keep the image small: package caches and documentation are not needed.
apt-get clean
rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*
