"""ETL for billing portal analytics: read a billing system's web users and activity log, load a warehouse."""
