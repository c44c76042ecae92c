#!/bin/sh
# The lab VM as a VPN gateway between two network namespaces it makes (throwaway VM):
#
#   lzsup: a supplier's firewall at 192.0.2.2 / 2001:db8:2::2 on the gateway's outside link
#          (lzout0), holding the supplier's tunnel addresses 10.231.201.2 and fd00:231:201::2;
#   lzapp: the inside, app1 (.11) and app2 (.12) of 10.231.250.0/24 and fd00:231:250::/64
#          on lzin0, and a management host 10.231.209.2 / fd00:231:209::2 behind app1.
#
# Every target listens (TCP 8443, 2222 and 22 inside, a UDP echo on 5353; TCP 2222 on the
# supplier), so a refused attempt was refused by the gateway.
set -eu
# What the baseline sets for a role that declares forwarding.
sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
for name in lzsup lzapp; do
    ip netns add "$name"
    ip -n "$name" link set lo up
done
ip link add lzout0 type veth peer name eth0 netns lzsup
ip link add lzin0 type veth peer name eth0 netns lzapp
for link in lzout0 lzin0; do ip link set "$link" up; done
for name in lzsup lzapp; do ip -n "$name" link set eth0 up; done

ip address add 192.0.2.1/24 dev lzout0
ip -6 address add 2001:db8:2::1/64 dev lzout0 nodad
ip address add 10.231.250.1/24 dev lzin0
ip -6 address add fd00:231:250::1/64 dev lzin0 nodad

ip -n lzsup address add 192.0.2.2/24 dev eth0
ip -n lzsup -6 address add 2001:db8:2::2/64 dev eth0 nodad
ip -n lzsup address add 10.231.201.2/32 dev lo
ip -n lzsup -6 address add fd00:231:201::2/128 dev lo
ip -n lzsup route add default via 192.0.2.1
ip -n lzsup -6 route add default via 2001:db8:2::1

for host in 11 12; do
    ip -n lzapp address add "10.231.250.$host/24" dev eth0
    ip -n lzapp -6 address add "fd00:231:250::$host/64" dev eth0 nodad
done
ip -n lzapp address add 10.231.209.2/32 dev lo
ip -n lzapp -6 address add fd00:231:209::2/128 dev lo
ip -n lzapp route add default via 10.231.250.1
ip -n lzapp -6 route add default via fd00:231:250::1
ip route add 10.231.209.0/24 via 10.231.250.11
ip -6 route add fd00:231:209::/64 via fd00:231:250::11

for port in 8443 2222 22; do
    systemd-run --unit="lz-app-tcp-$port" ip netns exec lzapp python3 -m http.server --bind :: "$port"
done
systemd-run --unit=lz-app-udp ip netns exec lzapp python3 /usr/local/bin/udp_echo.py 5353
systemd-run --unit=lz-supplier-tcp ip netns exec lzsup python3 -m http.server --bind :: 2222
