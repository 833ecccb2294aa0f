"""One file per ops DB revision, applied in order by :func:`newretail.ops.migrate.upgrade`."""
