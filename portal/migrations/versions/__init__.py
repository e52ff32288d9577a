"""One module per revision; Alembic reads them by path, this file only lets setuptools ship them."""
