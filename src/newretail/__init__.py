"""newretail: the operations platform of an omnichannel retail chain."""

__version__ = "0.1.0"
