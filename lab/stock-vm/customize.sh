#!/bin/sh
# Runs inside the freshly bootstrapped root (chroot) to make it a stock server disk.
set -eu

echo lz-stock-vm > /etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\tlz-stock-vm\n' > /etc/hosts

# qemu boots the kernel directly (root=/dev/vda): one ext4 filesystem on the
# whole disk, no partition table and no bootloader.
printf '/dev/vda\t/\text4\terrors=remount-ro\t0\t1\n' > /etc/fstab
printf '%s\n' virtio_pci virtio_blk ext4 >> /etc/initramfs-tools/modules
update-initramfs -u -k all

# qemu user networking always hands out 10.0.2.15 behind 10.0.2.2.
cat > /etc/systemd/network/10-lab.network <<'NETWORK'
[Match]
Name=en* eth*

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
NETWORK
systemctl enable systemd-networkd.service
systemctl set-default multi-user.target
ln -sf /dev/null /etc/systemd/system/getty@tty1.service
ln -sf /dev/null /etc/systemd/system/systemd-networkd-wait-online.service
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id

# The only package source: the local repository the image build fills.
rm -f /etc/apt/sources.list.d/*.sources
echo 'deb [trusted=yes] file:/var/lib/landingzone-repo ./' > /etc/apt/sources.list

# The administrator as a stock install makes one: in group sudo, sudo with a password
# (the lab-only secret of lab/stock-image/become.yml; only its hash is here).
# Debian already has a system group named operator (base-passwd): the account joins it.
useradd --create-home --shell /bin/bash --gid operator --groups sudo operator
usermod --password '$6$lzstockoperator$MzG2P8dg0mqWbA4pr2nWtBm.XPznzlhyUgH1grsRVqdVx5scaoGsaS5hoQDrHqt6ozJbIn2OFEZnZF3GrGujU.' operator

# The operator's key comes through qemu's firmware configuration device, once, at first
# boot (the same way as on the lab VM: lab/vm/customize.sh).
cat > /usr/local/sbin/lz-install-operator-key <<'SCRIPT'
#!/bin/sh
set -eu
key=/sys/firmware/qemu_fw_cfg/by_name/opt/lz/authorized_keys/raw
modprobe qemu_fw_cfg 2>/dev/null || true
[ -r "$key" ] || exit 0
install -d -m 0700 -o operator -g operator /home/operator/.ssh
cat "$key" > /home/operator/.ssh/authorized_keys
chown operator:operator /home/operator/.ssh/authorized_keys
chmod 0600 /home/operator/.ssh/authorized_keys
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

apt-get clean
rm -rf /usr/share/doc/* /usr/share/man/*
