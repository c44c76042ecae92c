#!/bin/sh
# Runs inside a container of the lab image: installs the desk image's packages ($@).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Without recommends: xrdp would bring xorgxrdp (the session backend that never painted in a
# container), and the desktop's recommends are most of a full desktop.
apt-get install -y -qq --no-install-recommends "$@" >/dev/null
# Like the lab image's own services, the desk's stay off until the workplace role starts them.
for unit in xrdp.service xrdp-sesman.service haproxy.service; do
    systemctl disable "$unit" >/dev/null 2>&1 || true
done
apt-get clean
rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*
