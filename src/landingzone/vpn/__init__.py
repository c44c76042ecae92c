"""`landingzone vpn`: a supplier's side of its tunnel (export) and ending its access at once (revoke)."""
