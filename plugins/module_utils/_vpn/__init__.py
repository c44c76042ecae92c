"""Private helpers of the vpn_gateway and vpn_gateway_status modules (role vpn_gateway)."""
