#!/bin/sh
# What `landingzone workplace status` reports of one desk or gateway, one fact a line:
#   service <unit> <state>      the units that let people in
#   session <account>           an account that has an Xvnc session (one per person on a desk)
#   account <name> <open|locked> <expiry day or ->   from /etc/shadow, never its hash
# It reads and changes nothing; its argument says what the host is (desk or gateway).
set -u
case "${1:-}" in
  desk) units="xrdp.service xrdp-sesman.service" ;;
  gateway) units="haproxy.service" ;;
  *) echo "usage: workplace_state.sh desk|gateway" >&2; exit 2 ;;
esac
for unit in $units; do
  echo "service $unit $(systemctl is-active "$unit" 2>/dev/null || true)"
done
[ "$1" = desk ] || exit 0
ps -C Xvnc -o user:64= 2>/dev/null | sort -u | sed 's/^/session /'
awk -F: '{ print "account", $1, ($2 ~ /^[!*]/ ? "locked" : "open"), ($8 == "" ? "-" : $8) }' /etc/shadow
