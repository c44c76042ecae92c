#!/bin/sh
# Runs inside the freshly bootstrapped root (chroot) to make it a lab VM disk.
set -eu

echo lz-vm > /etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\tlz-vm\n' > /etc/hosts

# qemu boots the kernel directly (root=/dev/vda): one ext4 filesystem on the
# whole disk, no partition table and no bootloader.
printf '/dev/vda\t/\text4\terrors=remount-ro\t0\t1\n' > /etc/fstab

# The initramfs must find the root disk before any module from it can load.
printf '%s\n' virtio_pci virtio_blk ext4 >> /etc/initramfs-tools/modules
update-initramfs -u -k all

# qemu user networking always hands out 10.0.2.15 behind 10.0.2.2: a static
# address saves the DHCP round trip on every boot.
cat > /etc/systemd/network/10-lab.network <<'NETWORK'
[Match]
Name=en* eth*

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
NETWORK
systemctl enable systemd-networkd.service
# A server: no graphical target, no login prompt on a screen nobody sees.
systemctl set-default multi-user.target
ln -sf /dev/null /etc/systemd/system/getty@tty1.service
# Nothing in the lab waits for "online"; this unit only adds boot time.
ln -sf /dev/null /etc/systemd/system/systemd-networkd-wait-online.service

# Unlike the container images, the apt-daily timers stay as Debian ships them:
# the baseline enables them (LZ-UPD-005/006), and the VM runs the whole baseline.

# Every VM gets its own machine id at first boot. The SSH host keys made by
# debootstrap are kept: generating them under software emulation costs boot
# time, and lab VMs are reachable on the host's loopback only.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id

# The account Ansible uses in the lab, the same as in the container images:
# no usable password, and the group the baseline lets through SSH and sudo.
groupadd --system lz-operators
useradd --create-home --shell /bin/bash --gid operator --groups lz-operators operator
usermod --password '*' operator
printf '%s\n' '%lz-operators ALL=(ALL:ALL) NOPASSWD: ALL' > /etc/sudoers.d/lz-operators
chmod 0440 /etc/sudoers.d/lz-operators

# The operator's key is not in the disk: each VM gets its own through qemu's
# firmware configuration device, installed once, at first boot. Later boots
# keep whatever the account then has, so a reboot proves the key survived.
cat > /usr/local/sbin/lz-install-operator-key <<'SCRIPT'
#!/bin/sh
set -eu
key=/sys/firmware/qemu_fw_cfg/by_name/opt/lz/authorized_keys/raw
modprobe qemu_fw_cfg 2>/dev/null || true
if [ ! -r "$key" ]; then
    echo "no operator key passed by qemu (opt/lz/authorized_keys)" >&2
    exit 0
fi
install -d -m 0700 -o operator -g operator /home/operator/.ssh
cat "$key" > /home/operator/.ssh/authorized_keys.new
chown operator:operator /home/operator/.ssh/authorized_keys.new
chmod 0600 /home/operator/.ssh/authorized_keys.new
mv /home/operator/.ssh/authorized_keys.new /home/operator/.ssh/authorized_keys
SCRIPT
chmod 0755 /usr/local/sbin/lz-install-operator-key
cat > /etc/systemd/system/lz-operator-key.service <<'UNIT'
[Unit]
Description=Install the lab operator's SSH key passed by qemu
ConditionPathExists=!/home/operator/.ssh/authorized_keys
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/lz-install-operator-key

[Install]
WantedBy=multi-user.target
UNIT
systemctl enable lz-operator-key.service

# Package lists stay: apt answers from them without a network. Caches and
# documentation go.
apt-get clean
rm -rf /usr/share/doc/* /usr/share/man/*
