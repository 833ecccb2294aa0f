"""Settings, errors, money, the China calendar and messages shared by every package."""
