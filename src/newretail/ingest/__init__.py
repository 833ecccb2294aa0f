"""Loading retail export files (CSV, Excel, Parquet, JSON Lines) into the lake."""
