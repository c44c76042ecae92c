"""Who must keep access to the host, and whether the staged state still gives it to them.

The engine stages every fix before it commits anything. These modules read that staged
state (accounts, sshd, PAM, sudoers, the firewall) and say, per account that must keep
its way in, whether it still has it: a control that would shut one of them out is held
back instead of committed.
"""
