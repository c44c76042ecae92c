#!/bin/sh
# Makes a scenario's podman network dual stack before molecule creates the containers:
# the podman driver makes an IPv4 network only, and uses a network of that name that
# already exists. Its destroy step removes the network again.
#   dual_stack_network.sh NAME IPV4_SUBNET IPV6_SUBNET
set -eu
podman network exists "$1" || podman network create --ipv6 --subnet "$2" --subnet "$3" "$1" >/dev/null
