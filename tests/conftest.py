import os

os.environ.setdefault("GENCORE_PROGRESS", "0")
